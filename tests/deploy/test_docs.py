"""The chart's documentation against its values: every value that docs/deploy.md and
helm/README.md name exists in helm/eas/values.yaml, and helm/README.md lists every value."""
from __future__ import annotations

import re

import pytest
import yaml

from conftest import CHART, REPO

VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
# Maps whose keys are not values of the chart but passed through as they are.
PASS_THROUGH = {"podSecurityContext", "containerSecurityContext", "kafka.strimzi.config",
                "edge.autoscaling.behavior"}
FILE = re.compile(r"\.(ya?ml|md|rs|toml|json|txt|tpl|sh|py|xml|db)$")


def resolves(path: str) -> bool:
    node = VALUES
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def leaves(node=VALUES, path: str = "") -> list[str]:
    if isinstance(node, dict) and node and path not in PASS_THROUGH:
        return [leaf for k, v in node.items() for leaf in leaves(v, f"{path}.{k}" if path else k)]
    return [path]


def named_values(text: str) -> set[str]:
    """Backticked dotted names that start with a top-level value (`edge.drain.delaySeconds`):
    not the services' own settings (snake_case: `edge.ping.max_heartbeat_seconds`), host names
    or file names."""
    found = set()
    for token in re.findall(r"`([^`\s]+)`", text):
        token = token.split("=", 1)[0]
        if not re.fullmatch(r"[a-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*", token):
            continue
        if token.split(".")[0] not in VALUES or "example" in token or FILE.search(token):
            continue
        found.add(token)
    return found


@pytest.mark.parametrize("doc", ["docs/deploy.md", "helm/README.md"])
def test_every_value_the_docs_name_exists(doc):
    text = (REPO / doc).read_text()
    named = named_values(text)
    assert len(named) > 20, f"{doc} names the chart's values"
    missing = sorted(n for n in named if not resolves(n))
    assert not missing, f"{doc} names values that values.yaml does not have: {missing}"


def test_helm_readme_lists_every_value_and_nothing_else():
    text = (REPO / "helm" / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| `", text, re.M)
    listed = {r for r in rows if not r.startswith("ci/")}
    assert listed == set(leaves()), {
        "not listed": sorted(set(leaves()) - listed), "not values": sorted(listed - set(leaves()))}


def test_the_check_finds_a_value_that_does_not_exist():
    assert named_values("set `edge.drain.delaySecs` and `mail.example.org`") == {"edge.drain.delaySecs"}
    assert not resolves("edge.drain.delaySecs") and resolves("edge.drain.delaySeconds")
