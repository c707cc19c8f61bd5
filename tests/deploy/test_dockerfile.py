"""The container image definition deploy/docker/Dockerfile and the compose files, checked
without a Docker engine: hadolint, then a parse of the Dockerfile (digest-pinned bases, a
non-root user, no remote ADD, no shell needed at run time, and the binaries it copies being
binaries the workspace builds with the features it asks for), then the compose files' use of
the image and the services' settings."""
from __future__ import annotations

import json
import re
import subprocess
import tomllib

import pytest
import yaml

from conftest import REPO, settings_env, tool

DOCKER = REPO / "deploy" / "docker"
DOCKERFILES = sorted(DOCKER.glob("Dockerfile*"))


def instructions(path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile: comments dropped, continuation lines joined."""
    out, pending = [], ""
    for line in path.read_text().splitlines():
        if not pending and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    assert not pending, "a continuation line at the end"
    return out


def stages(path) -> list[dict]:
    """The build stages: base image, name and instructions of each."""
    result = []
    for word, args in instructions(path):
        if word == "FROM":
            parts = [p for p in args.split() if not p.startswith("--")]
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            result.append({"base": parts[0], "name": name, "body": []})
        else:
            assert result, f"{word} before the first FROM"
            result[-1]["body"].append((word, args))
    return result


def workspace_binaries() -> dict[str, dict]:
    """Every binary target of the workspace's members: name -> package, required features."""
    members = tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["members"]
    found = {}
    for member in members:
        manifest = tomllib.loads((REPO / member / "Cargo.toml").read_text())
        package = manifest["package"]["name"]
        bins = manifest.get("bin", [])
        if not bins and (REPO / member / "src" / "main.rs").exists():
            bins = [{"name": package}]
        for b in bins:
            found[b["name"]] = {"package": package, "member": member,
                                "features": b.get("required-features", [])}
    return found


def test_there_is_a_dockerfile():
    assert DOCKERFILES == [DOCKER / "Dockerfile"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile):
    run = subprocess.run([tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_hadolint_would_report_a_bad_dockerfile(tmp_path):
    # The check above can fail: an unpinned base and a root user are reported.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install -y curl\nUSER root\n")
    run = subprocess.run([tool("hadolint"), "--no-color", str(bad)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode != 0 and "DL3006" in run.stdout


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_base_image_is_pinned_by_digest(dockerfile):
    named = set()
    for stage in stages(dockerfile):
        base = stage["base"]
        if base not in named:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), base
        if stage["name"]:
            named.add(stage["name"])


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_nothing_is_added_from_a_url(dockerfile):
    for word, args in instructions(dockerfile):
        if word == "ADD":
            assert not re.search(r"\b(https?|git|ftp)://|git@", args), args
        if word == "RUN":
            assert not re.search(r"\b(curl|wget)\b", args), f"downloads outside a package manager: {args}"


def test_the_runtime_stage_runs_as_a_non_root_user_without_a_shell():
    final = stages(DOCKER / "Dockerfile")[-1]
    words = [w for w, _ in final["body"]]
    users = [a for w, a in final["body"] if w == "USER"]
    assert users, "the final stage sets USER"
    user, _, group = users[-1].partition(":")
    assert user not in ("root", "0") and group not in ("root", "0"), users[-1]
    assert user.isdigit(), "a numeric uid, so that Kubernetes can check runAsNonRoot"
    # No RUN and exec-form ENTRYPOINT/CMD: nothing needs a shell in the image.
    assert "RUN" not in words
    for w, a in final["body"]:
        if w in ("ENTRYPOINT", "CMD"):
            assert a.startswith("["), f"{w} in exec form: {a}"
    assert "distroless" in final["base"] and ":nonroot@" in final["base"]


def test_the_build_and_runtime_images_are_the_same_debian_release():
    build, runtime = stages(DOCKER / "Dockerfile")[0]["base"], stages(DOCKER / "Dockerfile")[-1]["base"]
    release = {"bookworm": "12", "trixie": "13"}
    (codename,) = [c for c in release if c in build]
    assert f"debian{release[codename]}" in runtime, (build, runtime)


def test_the_binaries_copied_are_workspace_binaries_built_with_their_features():
    dockerfile = DOCKER / "Dockerfile"
    text = " ".join(a for w, a in instructions(dockerfile) if w == "RUN")
    build = re.search(r"cargo build (.*?)(&&|$)", text).group(1)
    packages = set(re.findall(r"-p ([\w-]+)", build))
    features = set(re.search(r"--features ([\w/,-]+)", build).group(1).split(","))
    copied = set(re.findall(r"target/release/([\w-]+)", text))
    binaries = workspace_binaries()
    assert copied == {"eas-edge", "eas-mail", "eas-contacts", "eas-calendar", "eas-push", "eas-server"}
    for name in copied:
        assert name in binaries, f"{name} is no binary of the workspace"
        b = binaries[name]
        assert b["package"] in packages, f"{name}: cargo build -p {b['package']}"
        for f in b["features"]:
            assert f"{b['package']}/{f}" in features, f"{name} needs the feature {f}"
    # Every service binary of the workspace is in the image.
    services = {n for n, b in binaries.items() if b["member"].startswith("services/")}
    assert services <= copied, services - copied
    # The copied binaries land where ENTRYPOINT and the chart look.
    final = stages(dockerfile)[-1]
    (entry,) = [json.loads(a) for w, a in final["body"] if w == "ENTRYPOINT"]
    assert entry[0] == "/usr/local/bin/eas-server"
    assert any(w == "COPY" and a.endswith("/usr/local/bin/") for w, a in final["body"])


def image_env() -> dict[str, str]:
    """The ENV of the runtime stage (`KEY=value` pairs)."""
    final = stages(DOCKER / "Dockerfile")[-1]
    env = {}
    for w, a in final["body"]:
        if w == "ENV":
            env.update(pair.split("=", 1) for pair in a.split())
    return env


# The environment prefix of each binary; eas-server's `EAS_` is the fallback.
PREFIXES = {"EAS_EDGE_": "eas-edge", "EAS_MAIL_": "eas-mail", "EAS_CONTACTS_": "eas-contacts",
            "EAS_CALENDAR_": "eas-calendar", "EAS_PUSH_": "eas-push"}


def test_the_images_environment_sets_real_settings_and_exposes_every_listener():
    env = image_env()
    assert env
    for var in env:
        b = next((b for p, b in PREFIXES.items() if var.startswith(p)), "eas-server")
        assert var in settings_env(b), f"{var} is no setting of {b}"
    # Every service in the image listens on all addresses, on a port the image exposes.
    for b in ["eas-mail", "eas-contacts", "eas-calendar"]:
        prefix = next(p for p, n in PREFIXES.items() if n == b)
        for key in ["GRPC_LISTEN", "HEALTH_LISTEN"]:
            assert env[prefix + key].startswith("0.0.0.0:"), f"{b}: {key}"
    final = stages(DOCKER / "Dockerfile")[-1]
    exposed = {int(p) for w, a in final["body"] if w == "EXPOSE" for p in a.split()}
    ports = {int(value.rsplit(":", 1)[1]) for key, value in env.items() if key.endswith("LISTEN")}
    assert ports == exposed, (ports, exposed)


def test_the_build_context_holds_every_workspace_member():
    ignore = [line for line in (REPO / ".dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]
    assert ignore[0] == "*", "an allow-list"
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    members = tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["members"]
    for path in ["Cargo.toml", "Cargo.lock", "proto", *members]:
        assert any(path == a or path.startswith(a + "/") for a in allowed), f"{path} is not in the context"


# --- the compose files ---------------------------------------------------------------------------

COMPOSE = sorted(DOCKER.glob("*.yml"))


@pytest.mark.parametrize("compose", COMPOSE, ids=lambda p: p.name)
def test_compose_services_use_the_image_and_real_settings(compose):
    doc = yaml.safe_load(compose.read_text())
    ours = {n: s for n, s in doc["services"].items() if "entrypoint" in s}
    assert ours
    for name, service in ours.items():
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert (DOCKER / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == DOCKER / "Dockerfile"
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        (path,) = service["entrypoint"]
        binary = path.rsplit("/", 1)[1]
        known = settings_env(binary)
        for var in service["environment"]:
            assert var in known or var in ("PGPASSWORD", "EAS_ADMIN_TOKEN"), f"{name}: {var}"
        for dep in service.get("depends_on", {}):
            assert dep in doc["services"], dep


def test_the_cluster_compose_file_has_postgres_redis_kafka_and_the_five_services():
    doc = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "kafka", "mail", "contacts", "calendar", "push", "edge"} <= set(doc["services"])
    redis = " ".join(doc["services"]["redis"]["command"])
    assert "--appendonly yes" in redis and "noeviction" in redis, "device state must survive"
    edge = doc["services"]["edge"]["environment"]
    mail = doc["services"]["mail"]["environment"]
    push = doc["services"]["push"]["environment"]
    contacts = doc["services"]["contacts"]
    calendar = doc["services"]["calendar"]
    assert contacts["entrypoint"] == ["/usr/local/bin/eas-contacts"]
    assert calendar["entrypoint"] == ["/usr/local/bin/eas-calendar"]
    # The edge reaches the three services' gRPC ports, which are where the image makes them
    # listen.
    image = image_env()
    for service, setting in [("mail", "EAS_EDGE_MAIL_URL"), ("contacts", "EAS_EDGE_CONTACTS_URL"),
                             ("calendar", "EAS_EDGE_CALENDAR_URL")]:
        port = image[f"EAS_{service.upper()}_GRPC_LISTEN"].rsplit(":", 1)[1]
        assert edge[setting] == f"http://{service}:{port}", setting
        assert service in doc["services"]["edge"]["depends_on"], service
    assert mail["EAS_MAIL_KAFKA__TOPIC"] == push["EAS_PUSH_KAFKA__TOPIC"]
    assert contacts["environment"]["EAS_CONTACTS_KAFKA__TOPIC"] == push["EAS_PUSH_KAFKA__TOPIC"]
    assert contacts["environment"]["EAS_CONTACTS_DATABASE_URL"] == mail["EAS_MAIL_DATABASE_URL"]
    assert set(contacts["depends_on"]) == {"postgres", "kafka"}
    # Calendar: the same PostgreSQL and topic; the mail service does not call it.
    assert calendar["environment"]["EAS_CALENDAR_KAFKA__TOPIC"] == push["EAS_PUSH_KAFKA__TOPIC"]
    assert calendar["environment"]["EAS_CALENDAR_DATABASE_URL"] == mail["EAS_MAIL_DATABASE_URL"]
    assert set(calendar["depends_on"]) == {"postgres", "kafka"}
    assert not any("CALENDAR" in var for var in mail), "the mail service does not call the calendar service"
    assert edge["EAS_EDGE_REDIS_PREFIX"] == push["EAS_PUSH_REDIS_PREFIX"]
