"""The Helm chart helm/eas, checked offline: `helm lint --strict`, every value set of
helm/eas/ci rendered and validated against the Kubernetes schemas (kubernetes-validate, strict)
and the add-on kinds' schemas in schemas/, then what the rendered objects must say: probes,
hardened security contexts, the long-request timeouts, the edge's drain and grace period, every
service's settings wired to real settings of its binary, and no credential outside a Secret."""
from __future__ import annotations

import json
import pathlib
import re
import shutil
import tomllib

import jsonschema
import kubernetes_validate
import pytest
import yaml

from conftest import (CHART, INSTALL_HINT, REPO, VALUE_SETS, helm, named, objects, render,
                      settings_env, values_of)

# Kubernetes versions the rendered objects are validated against: the oldest with the preStop
# sleep action the chart can render (beta, on by default) and the newest the validator knows.
K8S_VERSIONS = ["1.30.0", "1.37.0"]
CRD_SCHEMAS = {
    "HTTPRoute": "httproute.json",
    "ServiceMonitor": "servicemonitor.json",
    "KafkaTopic": "kafkatopic.json",
}
IDS = [v.name.removesuffix("-values.yaml") for v in VALUE_SETS]
# The environment prefix of each binary (eas_service_kit::load_config).
PREFIX = {"eas-edge": "EAS_EDGE_", "eas-mail": "EAS_MAIL_", "eas-contacts": "EAS_CONTACTS_",
          "eas-calendar": "EAS_CALENDAR_", "eas-push": "EAS_PUSH_", "eas-server": "EAS_"}
# The data services beside mail: each a component of its own that the edges call over gRPC.
DATA_SERVICES = ["contacts", "calendar"]


def set_named(name: str) -> pathlib.Path:
    return CHART / "ci" / f"{name}-values.yaml"


def seconds(duration: str) -> float:
    """A Gateway API duration (GEP-2257: `1h30m`, `3660s`, `500ms`) in seconds."""
    assert re.fullmatch(r"([0-9]{1,5}(h|m|s|ms)){1,4}", duration), duration
    unit = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(int(n) * unit[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", duration))


def pod_templates(docs) -> list[dict]:
    """(name, pod spec) of every Deployment and Job."""
    return [(d["metadata"]["name"], d["spec"]["template"]["spec"])
            for d in docs if d["kind"] in ("Deployment", "Job")]


def container_env(docs, container: dict) -> dict[str, dict]:
    """Every variable a container gets: its ConfigMaps' keys, then its env entries."""
    env: dict[str, dict] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == ref["name"])
            env.update({k: {"value": v} for k, v in cm["data"].items()})
    for e in container.get("env", []):
        env[e["name"]] = e
    return env


def binary(container: dict) -> str:
    return pathlib.PurePosixPath(container["command"][0]).name


# --- lint, render, validate -------------------------------------------------------------------

@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_helm_lint_strict_passes(values):
    run = helm("lint", "--strict", str(CHART), "-f", str(values))
    assert "1 chart(s) linted, 0 chart(s) failed" in run.stdout


@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_every_rendered_object_is_valid_for_kubernetes(values):
    docs = render(values)
    assert docs
    for doc in docs:
        kind = doc["kind"]
        if kind in CRD_SCHEMAS:
            schema = json.loads((pathlib.Path(__file__).parent / "schemas" / CRD_SCHEMAS[kind]).read_text())
            jsonschema.validate(doc, schema)
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                pytest.fail(f"{kind} {doc['metadata']['name']} against {version}: {e.message}")


def test_a_misspelt_field_fails_validation():
    # The validation above can fail: a field Kubernetes does not know is refused (strict).
    deployment = named(render(set_named("cluster")), "Deployment", "-edge")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["terminationGracePeriod"] = 30
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[0], strict=True)
    route = named(render(set_named("httproute")), "HTTPRoute", "-activesync")
    broken = json.loads(json.dumps(route))
    broken["spec"]["rules"][0]["timeouts"]["request"] = "61 minutes"
    schema = json.loads((pathlib.Path(__file__).parent / "schemas" / "httproute.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_the_install_notes_render_and_name_the_routes_timeout(values, tmp_path):
    # `helm template` leaves NOTES.txt out and `helm install --dry-run` needs a cluster: render
    # it as a template of a copy of the chart.
    chart = tmp_path / "eas"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "NOTES.txt").unlink()
    (chart / "templates" / "_notes.tpl").write_text(
        '{{- define "eas.notesForTest" -}}\n' + notes + "\n{{- end -}}\n")
    (chart / "templates" / "notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n"
        '{{ include "eas.notesForTest" . | indent 4 }}\n')
    out = helm("template", "eas", str(chart), "-f", str(values), "--show-only",
               "templates/notes.yaml").stdout
    text = yaml.safe_load(out)["data"]["notes"]
    v = values_of(values)
    timeout = v["edge"]["ping"]["maxHeartbeatSeconds"] + v["routes"]["timeoutMarginSeconds"]
    assert f"{timeout}s" in text
    assert v["publicUrl"] in text
    if v["edge"]["autoscaling"]["enabled"] and v["mode"] == "cluster":
        assert "(autoscaled)" in text


def test_values_outside_the_schema_are_refused():
    for bad in ["edge.replicass=3", "mode=single", "edge.ping.maxHeartbeatSeconds=4000",
                "image.digest=latest"]:
        run = helm("template", "eas", str(CHART), "-f", str(set_named("cluster")), "--set", bad,
                   check=False)
        assert run.returncode != 0, bad


def test_object_counts_per_value_set_are_the_ones_helm_readme_gives():
    readme = (REPO / "helm" / "README.md").read_text()
    table = dict(re.findall(r"^\| `ci/([\w-]+)-values\.yaml` \| (\d+) \|", readme, re.M))
    assert sorted(table) == sorted(IDS)
    for name in IDS:
        assert len(render(set_named(name))) == int(table[name]), name


# --- what the objects say ---------------------------------------------------------------------

@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_every_pod_is_hardened(values):
    for name, pod in pod_templates(render(values)):
        assert pod["automountServiceAccountToken"] is False, name
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True and psc["runAsUser"] != 0, name
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", name
        tmp = [v for v in pod["volumes"] if v["name"] == "tmp"]
        assert tmp and "emptyDir" in tmp[0], f"{name}: /tmp is an emptyDir"
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"], name
            assert sc["runAsNonRoot"] is True, name
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            assert mounts.get("/tmp") == "tmp", f"{name}: the LMTP spool and any temporary file"
    assert not objects(render(values), "Secret"), "credentials come from existing Secrets only"


@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_every_service_has_probes_on_its_health_port(values):
    for name, pod in pod_templates(render(values)):
        if name.endswith("-migrations"):
            continue
        (c,) = pod["containers"]
        ports = {p["name"] for p in c["ports"]}
        for probe, path in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                            ("readinessProbe", "/readyz")]:
            get = c[probe]["httpGet"]
            assert get["path"] == path, f"{name} {probe}"
            assert get["port"] in ports & {"admin", "health"}, f"{name} {probe} on {get['port']}"
        # A readiness check of mail and push takes up to 5 s (eas_service_kit::health).
        assert c["readinessProbe"]["timeoutSeconds"] > 5, name


@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_every_service_gets_its_settings_and_only_real_ones(values):
    docs = render(values)
    v = values_of(values)
    required = {
        "eas-edge": ["LISTEN", "ADMIN_LISTEN", "EDGE_ID", "DIRECTORY_URL", "DIRECTORY_SCHEMA",
                     "REDIS_URL", "REDIS_PREFIX", "MAIL_URL", "EDGE__PUBLIC_URL",
                     "EDGE__PING__MAX_HEARTBEAT_SECONDS", "EDGE__DRAIN__DELAY_SECONDS",
                     "EDGE__DRAIN__TIMEOUT_SECONDS", "EDGE__ADMIN_TOKEN"],
        "eas-mail": ["GRPC_LISTEN", "LMTP_LISTEN", "HEALTH_LISTEN", "DATABASE_URL",
                     "DATABASE_SCHEMA", "DIRECTORY_URL", "DIRECTORY_SCHEMA", "KAFKA__BROKERS",
                     "KAFKA__TOPIC", "MAX_MESSAGE_BYTES"],
        "eas-contacts": ["GRPC_LISTEN", "HEALTH_LISTEN", "DATABASE_URL", "DATABASE_SCHEMA",
                         "KAFKA__BROKERS", "KAFKA__TOPIC"],
        "eas-calendar": ["GRPC_LISTEN", "HEALTH_LISTEN", "DATABASE_URL", "DATABASE_SCHEMA",
                         "KAFKA__BROKERS", "KAFKA__TOPIC"],
        "eas-push": ["HEALTH_LISTEN", "REDIS_URL", "REDIS_PREFIX", "KAFKA__BROKERS",
                     "KAFKA__TOPIC", "KAFKA__GROUP_ID"],
        "eas-server": ["LISTEN", "ADMIN_LISTEN", "LMTP_LISTEN", "DATA_DIR", "DEMO",
                       "EDGE__PUBLIC_URL", "EDGE__ADMIN_TOKEN", "EDGE__DRAIN__DELAY_SECONDS"],
    }
    # The Calendar class's settings, in both modes.
    for b in ["eas-edge", "eas-server"]:
        required[b] += ["EDGE__CALENDAR__TIME_ZONE", "EDGE__CALENDAR__FIRST_DAY_OF_WEEK",
                        "EDGE__CALENDAR__SHARED_CALENDAR_DEVICE_TYPES"]
    if v["mode"] == "cluster" and v["contacts"]["enabled"]:
        required["eas-edge"].append("CONTACTS_URL")
        required["eas-mail"].append("CONTACTS_URL")
    if v["mode"] == "cluster" and v["calendar"]["enabled"]:
        required["eas-edge"].append("CALENDAR_URL")
    # Variables that are not settings of the binary: PostgreSQL's password (read by sqlx), the
    # pieces the Redis URL is made of, the OpenTelemetry ones, the admin CLI's token.
    other = re.compile(r"^(PGPASSWORD|EAS_REDIS_PASSWORD|EAS_POD_NAME|EAS_POD_NAMESPACE|OTEL_\w+)$")
    seen = set()
    for name, pod in pod_templates(docs):
        for c in pod["containers"]:
            b = binary(c)
            env = container_env(docs, c)
            known = settings_env(b)
            for var in env:
                if b == "eas-server" and var == "EAS_ADMIN_TOKEN":
                    continue  # read by `eas-server admin` (the CLI), not by the server
                assert var in known or other.match(var), f"{name}: {var} is no setting of {b}"
            if name.endswith("-migrations"):
                continue
            seen.add(b)
            for key in required[b]:
                if key.endswith("ADMIN_TOKEN") and not v["adminToken"]["existingSecret"]:
                    continue
                assert PREFIX[b] + key in env, f"{name}: {PREFIX[b]}{key} is not set"
    if v["mode"] == "allInOne":
        assert seen == {"eas-server"}
        return
    assert seen == {"eas-edge", "eas-mail", "eas-contacts", "eas-calendar", "eas-push"}
    edge = container_env(docs, named(docs, "Deployment", "-edge")["spec"]["template"]["spec"]["containers"][0])
    mail = container_env(docs, named(docs, "Deployment", "-mail")["spec"]["template"]["spec"]["containers"][0])
    push = container_env(docs, named(docs, "Deployment", "-push")["spec"]["template"]["spec"]["containers"][0])
    contacts = container_env(docs, named(docs, "Deployment", "-contacts")["spec"]["template"]["spec"]["containers"][0])
    calendar = container_env(docs, named(docs, "Deployment", "-calendar")["spec"]["template"]["spec"]["containers"][0])
    # The edges call the mail, contacts and calendar Services' gRPC ports, which lead to the
    # containers' gRPC listeners.
    # The mail service tells the contacts service the recipients of sent mail; it does not call
    # the calendar service.
    assert mail["EAS_MAIL_CONTACTS_URL"]["value"] == edge["EAS_EDGE_CONTACTS_URL"]["value"]
    assert not [k for k in mail if "CALENDAR" in k]
    for component, setting in [("mail", "EAS_EDGE_MAIL_URL"), ("contacts", "EAS_EDGE_CONTACTS_URL"),
                               ("calendar", "EAS_EDGE_CALENDAR_URL")]:
        svc = named(docs, "Service", f"-{component}")
        grpc = next(p for p in svc["spec"]["ports"] if p["name"] == "grpc")
        assert edge[setting]["value"] == f"http://{svc['metadata']['name']}:{grpc['port']}"
        (c,) = named(docs, "Deployment", f"-{component}")["spec"]["template"]["spec"]["containers"]
        port = next(p["containerPort"] for p in c["ports"] if p["name"] == grpc["targetPort"])
        listen = container_env(docs, c)[f"{PREFIX['eas-' + component]}GRPC_LISTEN"]["value"]
        assert listen == f"0.0.0.0:{port}", component
    # Contacts and calendar: the same PostgreSQL as mail, each in a schema of its own.
    schemas = {mail["EAS_MAIL_DATABASE_SCHEMA"]["value"], mail["EAS_MAIL_DIRECTORY_SCHEMA"]["value"]}
    for component, env in [("contacts", contacts), ("calendar", calendar)]:
        prefix = PREFIX[f"eas-{component}"]
        same = [{k: e for k, e in entry.items() if k != "name"}
                for entry in (env[f"{prefix}DATABASE_URL"], mail["EAS_MAIL_DATABASE_URL"])]
        assert same[0] == same[1], component
        schema = env[f"{prefix}DATABASE_SCHEMA"]["value"]
        assert schema == v["postgresql"][f"{component}Schema"], component
        assert schema not in schemas, component
        schemas.add(schema)
    # One Redis prefix and one topic for every component; every edge names itself by its pod.
    assert edge["EAS_EDGE_REDIS_PREFIX"]["value"] == push["EAS_PUSH_REDIS_PREFIX"]["value"]
    for key in ["BROKERS", "TOPIC", "PARTITIONS", "REPLICATION_FACTOR"]:
        assert mail[f"EAS_MAIL_KAFKA__{key}"]["value"] == push[f"EAS_PUSH_KAFKA__{key}"]["value"], key
        assert contacts[f"EAS_CONTACTS_KAFKA__{key}"]["value"] == push[f"EAS_PUSH_KAFKA__{key}"]["value"], key
        assert calendar[f"EAS_CALENDAR_KAFKA__{key}"]["value"] == push[f"EAS_PUSH_KAFKA__{key}"]["value"], key
    for key, value in v["kafka"]["settings"].items():
        assert contacts[f"EAS_CONTACTS_KAFKA__{key.upper()}"]["value"] == str(value), key
        assert calendar[f"EAS_CALENDAR_KAFKA__{key.upper()}"]["value"] == str(value), key
    assert edge["EAS_EDGE_EDGE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert edge["EAS_EDGE_DIRECTORY_SCHEMA"]["value"] == mail["EAS_MAIL_DIRECTORY_SCHEMA"]["value"]


@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_credentials_come_only_from_the_named_secrets(values):
    docs = render(values)
    v = values_of(values)
    secrets = {v["postgresql"]["existingSecret"], v["redis"]["existingSecret"],
               v["adminToken"]["existingSecret"]} - {""}
    for cm in objects(docs, "ConfigMap"):
        for key, value in cm["data"].items():
            assert not re.search(r"(PASSWORD|TOKEN|SECRET)$", key), f"{cm['metadata']['name']}: {key}"
            assert not re.search(r"://[^/@]*:[^/@]*@", value), f"{key} holds a password: {value}"
    for _, pod in pod_templates(docs):
        for c in pod["containers"]:
            for e in c.get("env", []):
                if re.search(r"(PASSWORD|TOKEN|SECRET)$", e["name"]):
                    ref = e["valueFrom"]["secretKeyRef"]
                    assert ref["name"] in secrets, e
                if "value" in e:
                    assert not re.search(r"://[^/@]*:[^$/@][^/@]*@", e["value"]), e
                    ref_url = e["name"].endswith("_URL") and "valueFrom" in e
                    assert not ref_url
                elif "secretKeyRef" in e["valueFrom"]:
                    assert e["valueFrom"]["secretKeyRef"]["name"] in secrets, e


def test_a_secret_url_is_read_from_the_secret_and_a_password_from_its_key():
    docs = render(set_named("ingress"))
    edge = named(docs, "Deployment", "-edge")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in edge["env"]}
    assert env["EAS_EDGE_DIRECTORY_URL"]["valueFrom"]["secretKeyRef"] == {"name": "eas-postgres", "key": "url"}
    assert env["EAS_EDGE_REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "eas-redis", "key": "url"}
    assert "PGPASSWORD" not in env
    docs = render(set_named("httproute"))
    push = named(docs, "Deployment", "-push")["spec"]["template"]["spec"]["containers"][0]
    env = [e["name"] for e in push["env"]]
    # Kubernetes expands $(VAR) only from variables listed before it.
    assert env.index("EAS_REDIS_PASSWORD") < env.index("EAS_PUSH_REDIS_URL")
    url = next(e["value"] for e in push["env"] if e["name"] == "EAS_PUSH_REDIS_URL")
    assert url == "redis://eas:$(EAS_REDIS_PASSWORD)@redis.databases.svc:6379/0"


# --- long-held requests and the drain ------------------------------------------------------------

def test_the_activesync_route_outlasts_the_longest_heartbeat_and_autodiscover_is_apart():
    values = set_named("httproute")
    v = values_of(values)
    docs = render(values)
    longest = v["edge"]["ping"]["maxHeartbeatSeconds"]
    active = named(docs, "HTTPRoute", "-activesync")
    auto = named(docs, "HTTPRoute", "-autodiscover")
    (rule,) = active["spec"]["rules"]
    assert [m["path"]["value"] for m in rule["matches"]] == ["/Microsoft-Server-ActiveSync"]
    assert seconds(rule["timeouts"]["request"]) > longest
    assert seconds(rule["timeouts"]["backendRequest"]) > longest
    assert active["spec"]["parentRefs"] == v["httpRoute"]["parentRefs"]
    (rule,) = auto["spec"]["rules"]
    assert {m["path"]["value"].lower() for m in rule["matches"]} == {"/autodiscover"}
    assert seconds(rule["timeouts"]["request"]) < 120
    assert "autodiscover.example.org" in auto["spec"]["hostnames"]
    for route in (active, auto):
        (backend,) = route["spec"]["rules"][0]["backendRefs"]
        svc = named(docs, "Service", "-edge")
        assert (backend["name"], backend["port"]) == (svc["metadata"]["name"], svc["spec"]["ports"][0]["port"])
    # A longer heartbeat moves the timeout with it.
    docs = render(values, ("edge.ping.maxHeartbeatSeconds=3000", "routes.timeoutMarginSeconds=60"))
    rule = named(docs, "HTTPRoute", "-activesync")["spec"]["rules"][0]
    assert seconds(rule["timeouts"]["request"]) == 3060


def test_the_activesync_ingress_has_nginx_timeouts_and_body_size_and_autodiscover_has_not():
    values = set_named("ingress")
    v = values_of(values)
    docs = render(values)
    active = named(docs, "Ingress", "-activesync")
    auto = named(docs, "Ingress", "-autodiscover")
    a = active["metadata"]["annotations"]
    for key in ["proxy-read-timeout", "proxy-send-timeout"]:
        assert int(a[f"nginx.ingress.kubernetes.io/{key}"]) > v["edge"]["ping"]["maxHeartbeatSeconds"]
    size = a["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert size.endswith("k") and int(size[:-1]) * 1024 >= v["edge"]["maxRequestBytes"]
    assert a["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    assert not any("timeout" in k or "body-size" in k for k in auto["metadata"].get("annotations", {}))
    paths = [p["path"] for r in active["spec"]["rules"] for p in r["http"]["paths"]]
    assert set(paths) == {"/Microsoft-Server-ActiveSync"}
    hosts = [r["host"] for r in auto["spec"]["rules"]]
    assert "autodiscover.example.org" in hosts
    assert active["spec"]["tls"] == v["ingress"]["tls"]


@pytest.mark.parametrize("sets", [(), ("edge.preStopSleepSeconds=7", "edge.drain.delaySeconds=3",
                                       "edge.drain.timeoutSeconds=40")])
@pytest.mark.parametrize("mode", ["cluster", "all-in-one"])
def test_the_grace_period_covers_the_preStop_sleep_and_the_edges_drain(mode, sets):
    values = set_named(mode)
    docs = render(values, sets)
    v = values_of(values)
    for s in sets:
        key, value = s.split("=")
        v["edge"][key.split(".")[1]] = v["edge"].get(key.split(".")[1])
        node = v
        *path, last = key.split(".")
        for p in path:
            node = node[p]
        node[last] = int(value)
    e = v["edge"]
    deployment = named(docs, "Deployment", "-edge" if mode == "cluster" else "-server")
    pod = deployment["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    env = container_env(docs, c)
    prefix = "EAS_EDGE_EDGE__" if mode == "cluster" else "EAS_EDGE__"
    assert env[prefix + "DRAIN__DELAY_SECONDS"]["value"] == str(e["drain"]["delaySeconds"])
    assert env[prefix + "DRAIN__TIMEOUT_SECONDS"]["value"] == str(e["drain"]["timeoutSeconds"])
    sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    assert sleep == e["preStopSleepSeconds"]
    assert pod["terminationGracePeriodSeconds"] > sleep + e["drain"]["delaySeconds"] + e["drain"]["timeoutSeconds"]
    if mode == "cluster":
        # A new edge is ready before an old one drains; an HPA scales edges down slowly.
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_autoscalers_and_disruption_budgets():
    docs = render(set_named("httproute"))
    hpas = {h["spec"]["scaleTargetRef"]["name"].rsplit("-", 1)[1]: h for h in objects(docs, "HorizontalPodAutoscaler")}
    assert set(hpas) == {"edge", "push"}
    scale_down = hpas["edge"]["spec"]["behavior"]["scaleDown"]
    assert scale_down["stabilizationWindowSeconds"] >= 300
    assert hpas["push"]["spec"]["maxReplicas"] <= values_of(set_named("httproute"))["kafka"]["partitions"]
    for d in objects(docs, "Deployment"):
        name = d["metadata"]["name"]
        if name.endswith(("-edge", "-push")):
            assert "replicas" not in d["spec"], f"{name}: the autoscaler owns the replica count"
    pdbs = {p["metadata"]["name"].rsplit("-", 1)[1] for p in objects(docs, "PodDisruptionBudget")}
    assert pdbs == {"edge", "mail", "contacts", "calendar", "push"}
    # More push replicas than partitions would leave replicas without work: refused.
    run = helm("template", "eas", str(CHART), "-f", str(set_named("cluster")),
               "--set", "push.replicas=13", check=False)
    assert run.returncode != 0 and "kafka.partitions" in run.stderr


def test_the_migration_job_runs_before_install_and_upgrade():
    docs = render(set_named("cluster"))
    v = values_of(set_named("cluster"))
    (job,) = objects(docs, "Job")
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert set(hooks) == {"pre-install", "pre-upgrade"}
    # At pre-install nothing of the release exists yet: no ConfigMap, no ServiceAccount.
    pod = job["spec"]["template"]["spec"]
    assert "serviceAccountName" not in pod
    assert pod["restartPolicy"] == "Never"
    # One container per service that owns migrations, each naming its databases and schemas.
    by_binary = {binary(c): c for c in pod["containers"]}
    assert set(by_binary) == {"eas-mail", "eas-contacts", "eas-calendar"}
    for b, urls, schemas in [
            ("eas-mail", ["DATABASE_URL", "DIRECTORY_URL"],
             {"DATABASE_SCHEMA": "mailSchema", "DIRECTORY_SCHEMA": "directorySchema"}),
            ("eas-contacts", ["DATABASE_URL"], {"DATABASE_SCHEMA": "contactsSchema"}),
            ("eas-calendar", ["DATABASE_URL"], {"DATABASE_SCHEMA": "calendarSchema"})]:
        c = by_binary[b]
        assert c["command"][1:] == ["--migrate-only"], b
        assert not c.get("envFrom"), b
        env = {e["name"]: e for e in c["env"]}
        for url in urls:
            assert PREFIX[b] + url in env, f"{b}: {url}"
        for key, value in schemas.items():
            assert env[PREFIX[b] + key]["value"] == v["postgresql"][value], f"{b}: {key}"
    # Without a data service its migrations do not run; mail's always do.
    for sets, binaries in [(("contacts.enabled=false",), ["eas-mail", "eas-calendar"]),
                           (("calendar.enabled=false",), ["eas-mail", "eas-contacts"]),
                           (("contacts.enabled=false", "calendar.enabled=false"), ["eas-mail"])]:
        (job,) = objects(render(set_named("cluster"), sets), "Job")
        assert [binary(c) for c in job["spec"]["template"]["spec"]["containers"]] == binaries, sets
    assert not objects(render(set_named("all-in-one")), "Job"), "eas-server migrates its SQLite itself"


@pytest.mark.parametrize("component", DATA_SERVICES)
@pytest.mark.parametrize("values", VALUE_SETS, ids=IDS)
def test_each_data_service_is_a_component_like_mail_and_its_config_holds_no_secret(values, component):
    docs = render(values)
    v = values_of(values)
    prefix = PREFIX[f"eas-{component}"]
    ours = [d for d in docs
            if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component]
    if v["mode"] != "cluster":
        # eas-server embeds the contacts and calendar services on SQLite in its data directory.
        assert not ours
        return
    kinds = sorted(d["kind"] for d in ours)
    expected = ["ConfigMap", "Deployment", "Service"]
    if v[component]["podDisruptionBudget"]["enabled"]:
        expected.append("PodDisruptionBudget")
    if v["networkPolicy"]["enabled"]:
        expected.append("NetworkPolicy")
    assert kinds == sorted(expected)
    deployment = named(docs, "Deployment", f"-{component}")
    assert deployment["spec"]["replicas"] == v[component]["replicas"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = deployment["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == [f"/usr/local/bin/eas-{component}"]
    assert pod["terminationGracePeriodSeconds"] == v[component]["terminationGracePeriodSeconds"]
    assert {s["topologyKey"] for s in pod["topologySpreadConstraints"]} == set(v["topologySpread"]["topologyKeys"])
    for s in pod["topologySpreadConstraints"]:
        assert s["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"grpc": v[component]["grpcPort"], "health": v[component]["healthPort"]}
    env = container_env(docs, c)
    assert env[f"{prefix}HEALTH_LISTEN"]["value"] == f"0.0.0.0:{ports['health']}"
    assert env[f"{prefix}GRPC_LISTEN"]["value"] == f"0.0.0.0:{ports['grpc']}"
    # The Service leads to both ports by name.
    svc = named(docs, "Service", f"-{component}")
    assert {p["name"]: (p["port"], p["targetPort"]) for p in svc["spec"]["ports"]} == {
        "grpc": (ports["grpc"], "grpc"), "health": (ports["health"], "health")}
    # The database URL is an env entry, never a ConfigMap key: with postgresql.urlKey it is a
    # Secret's (password included).
    (cm,) = [d for d in ours if d["kind"] == "ConfigMap"]
    assert not [k for k in cm["data"] if k.endswith("_URL")], cm["data"]
    url = next(e for e in c["env"] if e["name"] == f"{prefix}DATABASE_URL")
    if v["postgresql"]["urlKey"]:
        assert url["valueFrom"]["secretKeyRef"] == {"name": v["postgresql"]["existingSecret"],
                                                    "key": v["postgresql"]["urlKey"]}
    else:
        assert "@" in url["value"] and ":" not in url["value"].split("://", 1)[1].split("@")[0]
    # The pods' ConfigMap checksum changes with the settings, so a change rolls the pods.
    changed = render(values, (f"{component}.settings.max_connections=32",))
    after = named(changed, "Deployment", f"-{component}")["spec"]["template"]["metadata"]["annotations"]
    before = deployment["spec"]["template"]["metadata"]["annotations"]
    assert after["checksum/config"] != before["checksum/config"]
    assert named(changed, "ConfigMap", f"-{component}")["data"][f"{prefix}MAX_CONNECTIONS"] == "32"


@pytest.mark.parametrize("component", DATA_SERVICES)
def test_without_a_data_service_nothing_of_it_is_rendered_and_the_edges_do_not_call_it(component):
    setting = f"{component.upper()}_URL"
    on = render(set_named("httproute"))
    off = render(set_named("httproute"), (f"{component}.enabled=false",))
    assert not [d for d in off if d["metadata"]["name"].endswith(f"-{component}")]
    assert not [d for d in off
                if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component]
    # ConfigMap, Deployment, Service, PodDisruptionBudget and NetworkPolicy.
    assert len(on) - len(off) == 5
    edge = named(off, "Deployment", "-edge")["spec"]["template"]["spec"]["containers"][0]
    assert f"EAS_EDGE_{setting}" not in container_env(off, edge)
    mail = named(off, "Deployment", "-mail")["spec"]["template"]["spec"]["containers"][0]
    assert f"EAS_MAIL_{setting}" not in container_env(off, mail)
    # The other data service is untouched.
    (other,) = [s for s in DATA_SERVICES if s != component]
    assert f"EAS_EDGE_{other.upper()}_URL" in container_env(off, edge)
    # An edge may still be pointed at a service of its own.
    url = f"http://{component}.other:{values_of(set_named('cluster'))[component]['grpcPort']}"
    docs = render(set_named("cluster"), (f"{component}.enabled=false",
                                         f"edge.settings.{component}_url={url}"))
    edge = named(docs, "Deployment", "-edge")["spec"]["template"]["spec"]["containers"][0]
    assert container_env(docs, edge)[f"EAS_EDGE_{setting}"]["value"] == url


def test_a_cluster_without_its_backends_is_refused_with_a_message():
    for missing, message in [("postgresql.host=", "postgresql.host"), ("redis.host=", "redis.host"),
                             ("kafka.brokers=", "kafka.brokers")]:
        run = helm("template", "eas", str(CHART), "-f", str(set_named("cluster")), "--set", missing,
                   check=False)
        assert run.returncode != 0 and message in run.stderr, missing


def test_network_policies_let_only_the_edges_call_mail_contacts_calendar_and_only_the_mta_deliver():
    docs = render(set_named("httproute"))
    v = values_of(set_named("httproute"))
    edges = [{"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "eas", "app.kubernetes.io/instance": "eas",
        "app.kubernetes.io/component": "edge"}}}]
    for component in ["mail", *DATA_SERVICES]:
        policy = named(docs, "NetworkPolicy", f"-{component}")
        assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
        rules = {r["ports"][0]["port"]: r.get("from") for r in policy["spec"]["ingress"]}
        assert rules["grpc"] == edges, component
        assert v["networkPolicy"]["adminFrom"][0] in rules["health"], component
        if component == "mail":
            assert rules["lmtp"] == v["networkPolicy"]["lmtpFrom"]
        else:
            assert set(rules) == {"grpc", "health"}, f"{component} listens on nothing else"
    # Every Deployment's pods are covered by a policy.
    covered = {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
               for p in objects(docs, "NetworkPolicy")}
    assert covered == {d["metadata"]["labels"]["app.kubernetes.io/component"]
                       for d in objects(docs, "Deployment")}
    for component in DATA_SERVICES:
        off = render(set_named("httproute"), (f"{component}.enabled=false",))
        assert not [p for p in objects(off, "NetworkPolicy") if p["metadata"]["name"].endswith(f"-{component}")]
    edge = named(docs, "NetworkPolicy", "-edge")
    rules = {r["ports"][0]["port"]: r.get("from") for r in edge["spec"]["ingress"]}
    assert rules["http"] == v["networkPolicy"]["webFrom"]
    assert v["networkPolicy"]["adminFrom"][0] in rules["admin"]


def test_the_service_monitor_scrapes_every_components_health_port():
    docs = render(set_named("httproute"))
    (sm,) = objects(docs, "ServiceMonitor")
    ports = {e["port"] for e in sm["spec"]["endpoints"]}
    selected = [s for s in objects(docs, "Service")
                if all(s["metadata"]["labels"].get(k) == val for k, val in sm["spec"]["selector"]["matchLabels"].items())]
    assert {s["metadata"]["name"].split("eas-", 1)[1] for s in selected} == {"edge-admin", "mail", "contacts", "calendar", "push"}
    for s in selected:
        assert {p["name"] for p in s["spec"]["ports"]} & ports, s["metadata"]["name"]


def test_otlp_variables_are_the_standard_ones_and_absent_without_an_endpoint():
    docs = render(set_named("httproute"))
    for name, pod in pod_templates(docs):
        if name.endswith("-migrations"):
            continue
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"] == "http://otel-collector.monitoring.svc:4317"
        assert env["OTEL_SERVICE_NAME"]["value"] == binary(pod["containers"][0])
        attrs = env["OTEL_RESOURCE_ATTRIBUTES"]["value"]
        assert "k8s.pod.name=$(EAS_POD_NAME)" in attrs and "deployment.environment=production" in attrs
        names = list(env)
        assert names.index("EAS_POD_NAME") < names.index("OTEL_RESOURCE_ATTRIBUTES")
    for _, pod in pod_templates(render(set_named("cluster"))):
        assert not any(e["name"].startswith("OTEL_") for e in pod["containers"][0].get("env", []))


def test_the_strimzi_topic_matches_what_the_services_use():
    docs = render(set_named("httproute"))
    v = values_of(set_named("httproute"))
    (topic,) = objects(docs, "KafkaTopic")
    assert topic["spec"]["topicName"] == v["kafka"]["topic"]
    assert topic["spec"]["partitions"] == v["kafka"]["partitions"]
    assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "eas-kafka"
    assert topic["metadata"]["namespace"] == "kafka"
    assert topic["spec"]["config"]["retention.ms"] == 86400000


def test_edge_settings_reach_the_edge_as_its_own_keys():
    docs = render(set_named("httproute"))
    env = container_env(docs, named(docs, "Deployment", "-edge")["spec"]["template"]["spec"]["containers"][0])
    assert env["EAS_EDGE_EDGE__AUTH__TRUSTED_PROXIES"]["value"] == '["10.0.0.0/8"]'
    assert env["EAS_EDGE_EDGE__PROVISIONING__POLICY__MIN_PASSWORD_LENGTH"]["value"] == "6"
    assert env["EAS_EDGE_EDGE__DEVICE_APPROVAL"]["value"] == "require_approval"
    assert env["EAS_EDGE_DEFAULT_DOMAIN"]["value"] == "example.org"
    # Large numbers stay integers (Helm reads values as floats).
    assert env["EAS_EDGE_EDGE__MAX_REQUEST_BYTES"]["value"] == "52428800"
    # The chart's own values cannot be overridden behind its back.
    run = helm("template", "eas", str(CHART), "-f", str(set_named("cluster")), "--set",
               "edge.config.ping.max_heartbeat_seconds=100", check=False)
    assert run.returncode != 0 and "edge.ping" in run.stderr


def configuration_md_defaults() -> dict:
    """The `[edge.calendar]` table of the example in docs/configuration.md (the binaries'
    defaults)."""
    text = (REPO / "docs" / "configuration.md").read_text()
    (block,) = re.findall(r"```toml\n(.*?)```", text, re.S)
    return tomllib.loads(block)["edge"]["calendar"]


@pytest.mark.parametrize("mode", ["cluster", "all-in-one"])
def test_the_calendar_settings_reach_the_edge_of_either_mode(mode):
    deployment = "-edge" if mode == "cluster" else "-server"
    prefix = "EAS_EDGE_EDGE__CALENDAR__" if mode == "cluster" else "EAS_EDGE__CALENDAR__"

    def calendar_env(docs) -> dict[str, str]:
        (c,) = named(docs, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
        return {k.removeprefix(prefix): e["value"] for k, e in container_env(docs, c).items()
                if k.startswith(prefix)}

    # The chart's defaults are the binaries' (docs/configuration.md).
    documented = configuration_md_defaults()
    c = values_of(set_named(mode))["edge"]["calendar"]
    assert {"time_zone": c["timeZone"], "first_day_of_week": c["firstDayOfWeek"],
            "shared_calendar_device_types": c["sharedCalendarDeviceTypes"]} == documented
    env = calendar_env(render(set_named(mode)))
    assert env == {"TIME_ZONE": documented["time_zone"],
                   "FIRST_DAY_OF_WEEK": str(documented["first_day_of_week"]),
                   "SHARED_CALENDAR_DEVICE_TYPES": json.dumps(documented["shared_calendar_device_types"],
                                                              separators=(",", ":"))}
    # Set values arrive as the edge's keys; Sunday (0) is a value, not an absence.
    env = calendar_env(render(set_named(mode), ("edge.calendar.timeZone=Europe/Berlin",
                                                 "edge.calendar.firstDayOfWeek=0",
                                                 "edge.calendar.sharedCalendarDeviceTypes={iPhone,iPad,SM-S918B}")))
    assert env == {"TIME_ZONE": "Europe/Berlin", "FIRST_DAY_OF_WEEK": "0",
                   "SHARED_CALENDAR_DEVICE_TYPES": '["iPhone","iPad","SM-S918B"]'}
    # No device type offered shared calendars: an empty list, not the binary's default.
    out = helm("template", "eas", str(CHART), "-f", str(set_named(mode)), "--set-json",
               "edge.calendar.sharedCalendarDeviceTypes=[]").stdout
    docs = tuple(d for d in yaml.safe_load_all(out) if d)
    assert calendar_env(docs)["SHARED_CALENDAR_DEVICE_TYPES"] == "[]"
    # Outside the edge's ranges, or a second way to set them: refused.
    for bad in ["edge.calendar.firstDayOfWeek=7", "edge.calendar.timeZone=",
                "edge.calendar.timezone=UTC", "edge.config.calendar.time_zone=UTC"]:
        run = helm("template", "eas", str(CHART), "-f", str(set_named(mode)), "--set", bad,
                   check=False)
        assert run.returncode != 0, bad
    run = helm("template", "eas", str(CHART), "-f", str(set_named(mode)), "--set",
               "edge.config.calendar.time_zone=UTC", check=False)
    assert "edge.calendar.timeZone" in run.stderr


def test_the_all_in_one_server_keeps_its_data_on_a_volume_and_runs_alone():
    docs = render(set_named("all-in-one"))
    (d,) = objects(docs, "Deployment")
    assert d["spec"]["replicas"] == 1 and d["spec"]["strategy"]["type"] == "Recreate"
    pod = d["spec"]["template"]["spec"]
    (pvc,) = objects(docs, "PersistentVolumeClaim")
    data = next(v for v in pod["volumes"] if v["name"] == "data")
    assert data["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    env = container_env(docs, pod["containers"][0])
    # The server makes its data directory private (0700): a directory below the volume's root.
    assert env["EAS_DATA_DIR"]["value"].startswith(mounts["data"] + "/")
    assert env["EAS_DEMO"]["value"] == "false"
    assert not objects(docs, "HorizontalPodAutoscaler")


@pytest.mark.parametrize("mode", ["cluster", "all-in-one"])
def test_log_format_reaches_every_service(mode):
    docs = render(set_named(mode), ("logFormat=json",))
    for name, pod in pod_templates(docs):
        for c in pod["containers"]:
            env = container_env(docs, c)
            assert env[PREFIX[binary(c)] + "LOG_FORMAT"]["value"] == "json", f"{name} {c['name']}"
    docs = render(set_named(mode))
    for _, pod in pod_templates(docs):
        for c in pod["containers"]:
            assert not any(k.endswith("LOG_FORMAT") for k in container_env(docs, c))
