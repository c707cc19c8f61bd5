"""End-to-end against the loopback cluster (deploy/local/cluster.sh): mail service, push service,
Kafka, Redis and two edge replicas, driven by pyactivesync."""
from __future__ import annotations

import concurrent.futures
import contextlib
import pathlib
import signal
import subprocess
import time
import uuid

import pytest
import requests

import test_ping
from cluster import Cluster
from conftest import _binary
from rawclient import Reply
from test_mail_sync import client, inbox, message, sync_all
from test_ping import synced

USER = "jdoe@example.loc"
# A one-second minimum heartbeat keeps expiry tests short; production defaults to 60 s.
EDGE_ENV = "EAS_EDGE_EDGE__PING__MIN_HEARTBEAT_SECONDS=1"


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(edge_env=EDGE_ENV)
    yield c
    c.stop()


@pytest.fixture(scope="module")
def push_server(cluster):
    """Edge A, for the Ping tests of the one-process server run here against the cluster."""
    return cluster.edge("a")


# Every Ping status (1, 2, 3 via the cache, 5, 7) and the two-Pings case, now through Kafka and
# the push service, against edge A.
test_held_ping_answered_when_mail_arrives = test_ping.test_a_held_ping_is_answered_with_the_folder_when_mail_arrives
test_pending_changes_answer_at_once = test_ping.test_pending_changes_answer_the_ping_at_once
test_ping_expires_with_status_1 = test_ping.test_a_ping_without_changes_expires_with_status_1
test_heartbeat_out_of_bounds_status_5 = test_ping.test_heartbeats_out_of_bounds_get_status_5
test_unknown_folder_status_7 = test_ping.test_an_unknown_folder_asks_for_a_folder_sync
test_second_ping_ends_the_first = test_ping.test_a_second_ping_from_the_same_device_ends_the_first


@pytest.mark.parametrize("version", ["16.1", "14.1"])
def test_a_contact_added_through_edge_a_wakes_a_ping_on_edge_b_and_syncs_there(cluster, version, monkeypatch):
    """Contacts through the cluster (before the tests below stop edges): the contacts service's change event goes through Kafka and
    the push service to edge B, which holds the second phone's Ping; then the contact syncs there
    with its fields, and an administrator's import through edge B reaches the first phone."""
    import threading

    import pyactivesync._http as pyas_http
    import test_contacts

    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", version)
    edge_a, edge_b = cluster.edge("a"), cluster.edge("b")
    with test_contacts.client(edge_a) as one, test_contacts.client(edge_b) as two:
        folder = test_contacts.contacts_folder(one)
        key1 = test_contacts.synced(one, folder).sync_key
        state2 = test_contacts.synced(two, folder)
        woke = {}

        def hold():
            woke["r"] = two.ping([folder], folder_class="Contacts", heartbeat=120, timeout=100)

        t = threading.Thread(target=hold)
        t.start()
        time.sleep(1.0)
        added = one.create_contact(folder, key1, test_contacts.FULL)
        assert added.status == "1"
        t.join(timeout=110)
        assert woke["r"].status == "2" and woke["r"].changed_folder_ids == [folder]
        r = two.sync_folder(folder, state2.sync_key)
        assert [i.server_id for i in r.added] == [added.server_id]
        assert r.added[0].fields["Contacts.LastName"] == "Hopper"
        assert r.added[0].fields["Contacts.Birthday"].startswith("1906-12-09")
        # An import through edge B's admin API reaches the phone on edge A.
        vcard = test_contacts.VCARD.encode()
        resp = requests.post(
            edge_b.admin_url.rsplit("/admin", 1)[0] + "/admin/users/jdoe@example.loc/contacts/import",
            data=vcard, headers={"Authorization": f"Bearer {edge_b.token}", "Content-Type": "text/vcard"},
            timeout=30,
        )
        assert resp.status_code == 200 and resp.json()["imported"] == 1, resp.text
        r1 = one.sync_folder(folder, added.sync_key)
        assert [i.fields.get("Contacts.LastName") for i in r1.added] == ["Johnson"]
        # Clean up for the other protocol version.
        ids = [added.server_id, r1.added[0].server_id]
        one.apply_contact_changes(folder, r1.sync_key, [test_contacts.ContactChange(server_id=i, delete=True) for i in ids])


@pytest.mark.parametrize("version", ["16.1", "14.1"])
def test_an_event_added_through_edge_a_wakes_a_ping_on_edge_b_and_syncs_there(cluster, version, monkeypatch):
    """Calendars through the cluster (before the tests below stop edges): the calendar service's
    change event goes through Kafka and the push service to edge B, which holds the second
    phone's Ping; the series syncs there with its occurrences, to the raw client and to
    pyactivesync; the export through edge B's admin API has it."""
    import threading

    import pyactivesync._http as pyas_http

    import test_calendar as tc

    edge_a, edge_b = cluster.edge("a"), cluster.edge("b")
    one, two = tc.device(edge_a, version), tc.device(edge_b, version)
    coll = tc.default_calendar(one)
    key1, _ = tc.primed(one, coll)
    key2, _ = tc.primed(two, coll)
    woke = {}

    def hold():
        woke["r"] = two.post("Ping", '<Ping xmlns="Ping:"><HeartbeatInterval>120</HeartbeatInterval><Folders>'
                                     f'<Folder><Id>{coll}</Id><Class>Calendar</Class></Folder></Folders></Ping>')

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(1.0)
    subject = f"Cluster standup {version}"
    r = tc.sync(one, coll, key1, f"<Add><ClientId>k1</ClientId><ApplicationData>"
                                 f"{tc.weekly_series(version, subject)}</ApplicationData></Add>")
    sid = tc.add_response(r).findtext("ServerId")
    t.join(timeout=110)
    assert woke["r"].text("Status") == "2", woke["r"].raw
    r = tc.sync(two, coll, key2)
    data = tc.items(r)[sid]
    assert data.findtext("Subject") == subject
    assert data.findtext("Recurrence/Occurrences") == "10"
    # The independent pyactivesync client on edge B, at the same version, gets the series too.
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", version)
    with client(edge_b) as c:
        got = c.sync_folder(coll, c.sync_folder(coll, "0").sync_key, window_size=100)
        mine = [i.fields for i in got.added if i.server_id == sid]
        assert len(mine) == 1 and mine[0][tc.PYAS_SUBJECT] == subject, [i.server_id for i in got.added]
        assert mine[0][tc.PYAS_OCCURRENCES] == "10"
    resp = requests.get(edge_b.admin_url.rsplit("/admin", 1)[0] + "/admin/users/jdoe@example.loc/calendar/export",
                        headers={"Authorization": f"Bearer {edge_b.token}"}, timeout=30)
    assert resp.status_code == 200 and f"SUMMARY:{subject}" in resp.text, resp.text[:500]


def test_the_calendar_service_answers_its_probes(cluster):
    base = cluster.env["CALENDAR_HEALTH_URL"]
    assert requests.get(base + "/healthz", timeout=5).status_code == 200
    assert requests.get(base + "/readyz", timeout=5).status_code == 200


def test_the_contacts_service_answers_its_probes(cluster):
    base = cluster.env["CONTACTS_HEALTH_URL"]
    assert requests.get(base + "/healthz", timeout=5).status_code == 200
    assert requests.get(base + "/readyz", timeout=5).status_code == 200
    metrics = requests.get(base + "/metrics", timeout=5)
    assert metrics.status_code == 200 and "# TYPE" in metrics.text


def same_device(first, second):
    """Two clients of one phone: the second carries the first's policy key."""
    second._transport.policy_key = first._transport.policy_key
    second._provisioned = True


@contextlib.contextmanager
def one_phone_on_two_edges(cl, tag):
    """One device talking to edge A and to edge B, synced on A: (on_a, on_b, inbox, key)."""
    device = tag + uuid.uuid4().hex[:8]
    with client(cl.edge("a"), device_id=device) as ca, client(cl.edge("b"), device_id=device) as cb:
        folder = inbox(ca)
        key = synced(ca, folder)
        same_device(ca, cb)
        yield ca, cb, folder, key


def hold_ping(pool, c, folder, heartbeat=300):
    held = pool.submit(c.ping, [folder], heartbeat=heartbeat, timeout=heartbeat + 30)
    time.sleep(1.0)
    assert not held.done(), "the ping must be held while nothing changes"
    return held


def test_a_ping_on_edge_a_is_woken_through_kafka_and_the_device_syncs_on_edge_b(cluster):
    subject = f"cross edge {uuid.uuid4().hex[:8]}"
    with one_phone_on_two_edges(cluster, "xedge") as (ca, cb, folder, key):
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = hold_ping(pool, ca, folder)
            started = time.monotonic()
            assert cluster.deliver("a@outside.test", [USER], message(subject)) == {}
            result = held.result(timeout=60)
            print(f"ping woken {1000 * (time.monotonic() - started):.0f} ms after LMTP accepted")
        assert result.status == "2" and result.changed_folder_ids == [folder]
        # The sync state lives in Redis: edge B continues where edge A left off.
        key, added = sync_all(cb, folder, key)
        assert [m.fields.get("Email.Subject") for m in added] == [subject]
        # And A, with the key B handed out, sees nothing new.
        r = ca.sync_folder(folder, key)
        assert r.added == []


def test_the_two_pings_of_one_device_on_two_edges_end_cleanly(cluster):
    with one_phone_on_two_edges(cluster, "twoedges") as (ca, cb, folder, _key):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            first = hold_ping(pool, ca, folder)
            second = hold_ping(pool, cb, folder)
            # The older Ping, on the other replica, ends at once with status 1 ...
            assert first.result(timeout=30).status == "1"
            # ... and the newer one gets the change.
            cluster.deliver("a@outside.test", [USER], message("after pings on two edges"))
            result = second.result(timeout=60)
    assert result.status == "2" and result.changed_folder_ids == [folder]


def test_the_services_metrics_move_with_a_delivery_that_wakes_a_ping(cluster):
    """Each process's `/metrics` (the services' health listener, the edge's admin listener)
    counts its part of one wake-up: LMTP and Kafka in the mail service, the push service's
    routing and consumer lag, the edge's held Ping and wake-up delay (docs/observability.md)."""
    from test_metrics import delta, scrape_url, value

    urls = {
        "mail": cluster.env["MAIL_HEALTH_URL"] + "/metrics",
        "push": cluster.env["PUSH_HEALTH_URL"] + "/metrics",
        "edge": cluster.edge("a").admin_url.rsplit("/admin", 1)[0] + "/metrics",
    }
    with client(cluster.edge("a")) as c:
        folder = inbox(c)
        synced(c, folder)
        before = {name: scrape_url(url) for name, url in urls.items()}
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = hold_ping(pool, c, folder)
            assert value(scrape_url(urls["edge"]), "eas_held_pings") >= 1
            assert cluster.deliver("a@outside.test", [USER], message("metrics wake")) == {}
            assert held.result(timeout=60).status == "2"
    after = {name: scrape_url(url) for name, url in urls.items()}
    mail = (before["mail"], after["mail"])
    assert delta(*mail, "eas_lmtp_deliveries_total") == 1
    assert delta(*mail, "eas_kafka_events_published_total") >= 1
    assert value(after["mail"], "eas_kafka_publish_failures_total") == 0
    push = (before["push"], after["push"])
    assert delta(*push, "eas_push_events_total") >= 1
    assert delta(*push, "eas_push_wakes_total") >= 1
    assert value(after["push"], "eas_push_group_member") == 1
    edge = (before["edge"], after["edge"])
    assert delta(*edge, "eas_push_wakeup_delay_seconds_count", command="Ping") == 1
    assert delta(*edge, "eas_requests_total", command="Ping", http_status=200, eas_status=2) == 1
    # The consumer lag comes from librdkafka's statistics, every 10 s by default: each
    # partition of the test's topic that this replica owns, caught up.
    deadline = time.time() + 25
    lags = {}
    while time.time() < deadline and not lags:
        lags = {dict(labels)["partition"]: v for (name, labels), v in scrape_url(urls["push"]).items()
                if name == "eas_kafka_consumer_lag" and dict(labels).get("topic") == cluster.script_env["EAS_CLUSTER_TOPIC"]}
        time.sleep(0.5)
    assert lags, "no consumer lag was reported"
    assert all(v >= 0 for v in lags.values()), lags


def test_killing_edge_a_mid_ping_loses_nothing_when_the_phone_retries_on_b():
    cl = Cluster(edge_env=EDGE_ENV)
    try:
        subject = f"while a was down {uuid.uuid4().hex[:8]}"
        with one_phone_on_two_edges(cl, "killed") as (ca, cb, folder, key):
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                held = hold_ping(pool, ca, folder)
                cl.kill("EDGE_A", signal.SIGKILL)
                with pytest.raises(Exception):
                    held.result(timeout=30)
            cl.wait_exit("EDGE_A")
            # Mail arrives while the phone is reconnecting.
            assert cl.deliver("a@outside.test", [USER], message(subject)) == {}
            result = cb.ping([folder], heartbeat=120, timeout=150)
            assert result.status == "2" and result.changed_folder_ids == [folder]
            key, added = sync_all(cb, folder, key)
            assert [m.fields.get("Email.Subject") for m in added] == [subject]
    finally:
        cl.stop()


def test_sigterm_on_an_edge_answers_its_held_pings_and_the_other_edge_serves_on(cluster):
    # Runs last in this module: it stops edge B of the shared cluster.
    b = cluster.edge("b")
    with client(b) as c:
        folder = inbox(c)
        synced(c, folder)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = hold_ping(pool, c, folder, heartbeat=600)
            cluster.kill("EDGE_B", signal.SIGTERM)
            assert held.result(timeout=30).status == "1"
    cluster.wait_exit("EDGE_B")
    with client(cluster.edge("a")) as c:
        folder = inbox(c)
        assert synced(c, folder) is not None


def test_a_push_service_restarted_with_sigterm_leaves_its_group_and_the_new_one_wakes_pings():
    # A rolling restart of the push service. (A crash, SIGKILL, is not tested here: tansu 0.6
    # never hands a vanished member's partitions to the others; see docs/push.md.)
    cl = Cluster(edge_env=EDGE_ENV)
    try:
        cl.restart_push()
        # The old member committed and left the group before its process exited.
        assert "did not leave the consumer group cleanly" not in cl.log("push.previous")
        assert probe(cl, "PUSH", "/readyz") == (200, "ready")
        # The replacement routes: a held Ping is woken through it.
        with client(cl.edge("a")) as c:
            folder = inbox(c)
            synced(c, folder)
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                held = hold_ping(pool, c, folder)
                subject = f"after the push restart {uuid.uuid4().hex[:8]}"
                assert cl.deliver("a@outside.test", [USER], message(subject)) == {}
                result = held.result(timeout=30)
                assert result.status == "2" and result.changed_folder_ids == [folder]
    finally:
        cl.stop()


def probe(cl, service, path):
    r = requests.get(cl.env[f"{service}_HEALTH_URL"] + path, timeout=10)
    return r.status_code, r.text


def test_the_mail_and_push_services_answer_health_and_readiness_probes(cluster):
    for service in ("MAIL", "PUSH"):
        assert probe(cluster, service, "/healthz") == (200, "ok")
        assert probe(cluster, service, "/readyz") == (200, "ready")
        assert probe(cluster, service, "/nothing")[0] == 404


def test_with_kafka_down_held_pings_still_end_and_sync_gets_the_mail():
    cl = Cluster(edge_env=EDGE_ENV, private_kafka=True)
    try:
        subject = f"while kafka was down {uuid.uuid4().hex[:8]}"
        with client(cl.edge("a")) as c:
            folder = inbox(c)
            key = synced(c, folder)
            cl.stop_kafka()
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                held = hold_ping(pool, c, folder, heartbeat=5)
                started = time.monotonic()
                # The mail service commits without waiting for the broker.
                assert cl.deliver("a@outside.test", [USER], message(subject)) == {}
                print(f"LMTP accepted in {1000 * (time.monotonic() - started):.0f} ms with kafka down")
                # No event reaches the edge; the Ping ends at its heartbeat (1), or earlier when
                # a recheck after the push service's consumer error finds the new mail (2).
                assert held.result(timeout=60).status in ("1", "2")
            key, added = sync_all(c, folder, key)
            assert [m.fields.get("Email.Subject") for m in added] == [subject]
            # The push service cannot work without Kafka and says so; the mail service can.
            status, reason = probe(cl, "PUSH", "/readyz")
            assert status == 503 and "kafka" in reason.lower(), reason
            assert probe(cl, "PUSH", "/healthz") == (200, "ok")
            assert probe(cl, "MAIL", "/readyz") == (200, "ready")
    finally:
        cl.stop()


def test_redis_down_gives_503_with_retry_after_and_nothing_hangs():
    cl = Cluster(edge_env=EDGE_ENV)
    try:
        a = cl.edge("a")
        device = "redisdown" + uuid.uuid4().hex[:6]
        with client(a, device_id=device) as c:
            folder = inbox(c)
            synced(c, folder)
            policy_key = c._transport.policy_key
        cl.stop_redis()
        started = time.monotonic()
        r = requests.post(
            a.eas_url,
            params={"Cmd": "FolderSync", "User": USER, "DeviceId": device,
                    "DeviceType": "Test"},
            auth=(USER, "demo-jdoe-1"),
            headers={"MS-ASProtocolVersion": "16.1", "X-MS-PolicyKey": str(policy_key or 0),
                     "Content-Type": "application/vnd.ms-sync.wbxml"},
            data=bytes.fromhex("03016a00000756520330000101"),
            timeout=30,
        )
        print(f"answered in {1000 * (time.monotonic() - started):.0f} ms")
        assert r.status_code == 503
        assert r.headers.get("Retry-After")
        status, reason = probe(cl, "PUSH", "/readyz")
        assert status == 503 and "redis" in reason, reason
        assert probe(cl, "MAIL", "/readyz") == (200, "ready")
    finally:
        cl.stop()


def test_device_state_survives_a_crash_of_redis_with_its_append_only_file():
    """docs/deploy.md: Redis with `appendonly yes`. After Redis is killed and started again, the
    phone's policy key and sync key still work and a blocked device is still blocked."""
    cl = Cluster(edge_env=EDGE_ENV, redis_aof=True)
    try:
        a = cl.edge("a")
        subject = f"before the redis crash {uuid.uuid4().hex[:8]}"
        device = "aof" + uuid.uuid4().hex[:8]
        with client(a, device_id=device) as c, client(a) as blocked:
            folder = inbox(c)
            key = synced(c, folder)
            policy_key = c._transport.policy_key
            inbox(blocked)
            blocked_id = blocked._transport.device_id
        assert a.admin("POST", f"/admin/devices/{USER}/{blocked_id}/block").status_code == 200
        assert cl.deliver("a@outside.test", [USER], message(subject)) == {}

        cl.crash_and_restart_redis()

        with client(a, device_id=device) as c:
            c._transport.policy_key = policy_key
            c._provisioned = True
            # The edge reconnects to Redis by itself; until then it answers 503 and the client
            # retries the idempotent Sync.
            key, added = sync_all(c, folder, key)
            assert [m.fields.get("Email.Subject") for m in added] == [subject]
        assert a.admin("GET", f"/admin/devices/{USER}/{blocked_id}").json()["approval"] == "blocked"
    finally:
        cl.stop()


def folder_sync_as(edge, login, password) -> requests.Response:
    """One FolderSync at 14.1 as `login`, from a new device."""
    return requests.post(
        edge.eas_url,
        params={"Cmd": "FolderSync", "User": "x", "DeviceId": "thr" + uuid.uuid4().hex[:6],
                "DeviceType": "Test"},
        auth=(login, password),
        headers={"MS-ASProtocolVersion": "14.1"},
        timeout=30,
    )


def login_status(edge, login, password):
    """One FolderSync as `login`; returns (status, Retry-After)."""
    r = folder_sync_as(edge, login, password)
    return r.status_code, r.headers.get("Retry-After")


def new_user(edge, prefix: str, password: str) -> str:
    """A new account made through `edge`'s admin API; its address."""
    address = f"{prefix}{uuid.uuid4().hex[:8]}@example.loc"
    r = edge.admin("POST", "/admin/users", json={"address": address, "display_name": prefix, "password": password})
    assert r.status_code in (200, 201), r.text
    return address


def test_bad_logins_spread_over_both_edges_are_counted_once_in_redis():
    # A cluster of its own: an earlier test stops edge B of the module's cluster.
    cl = Cluster(edge_env=EDGE_ENV)
    try:
        a, b = cl.edge("a"), cl.edge("b")
        address = new_user(a, "thr", "right-pw-1")
        # Ten guesses from this address (the per-account-and-address limit), alternating edges and
        # spellings: every one is checked and refused with 401.
        local = address.split("@")[0]
        for i in range(10):
            login = [address, f"EXAMPLE\\{local}", f" {address}", local][i % 4]
            assert login_status([a, b][i % 2], login, f"guess{i}")[0] == 401, i
        # Counted together in Redis: the eleventh is throttled on both edges, the right password
        # included, with 503 and Retry-After rather than a 401 the phone would take for a wrong
        # password.
        for edge in (a, b):
            status, retry = login_status(edge, address, "right-pw-1")
            assert status == 503 and retry and int(retry) >= 1, (edge.name, status, retry)
    finally:
        cl.stop()


def test_an_account_changed_through_edge_a_is_no_longer_served_from_edge_bs_login_cache():
    """Edge B remembers a successful login (edge.auth.cache_seconds, 300 s by default). A new
    password set through edge A's admin API applies on edge B at the next request, and so does
    disabling the account: the notice reaches every edge on the wake channel."""
    cl = Cluster(edge_env=EDGE_ENV)
    try:
        a, b = cl.edge("a"), cl.edge("b")
        address = new_user(a, "acct", "first-pw-1")
        assert login_status(b, address, "first-pw-1")[0] == 200
        # The login is remembered on B; A changes the password.
        r = a.admin("PATCH", f"/admin/users/{address}", json={"password": "second-pw-2"})
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 5
        while login_status(b, address, "first-pw-1")[0] != 401:
            assert time.monotonic() < deadline, "edge B still takes the old password"
            time.sleep(0.1)
        assert login_status(b, address, "second-pw-2")[0] == 200
        # Disabled through A: refused on B at once, although B just remembered the new password.
        r = a.admin("PATCH", f"/admin/users/{address}", json={"disabled": True})
        assert r.status_code == 200, r.text

        def disabled_on_b() -> bool:
            # MS-ASCMD 2.2.2: common status 126, the user is not enabled for synchronization.
            r = folder_sync_as(b, address, "second-pw-2")
            return r.status_code == 200 and Reply(r).text("Status") == "126"

        deadline = time.monotonic() + 5
        while not disabled_on_b():
            assert time.monotonic() < deadline, "edge B still serves the disabled account"
            time.sleep(0.1)
    finally:
        cl.stop()


def test_eas_mail_migrate_only_creates_both_schemas_and_exits():
    # The Helm chart's pre-install/pre-upgrade Job: migrations without Kafka or listeners, twice
    # (an upgrade with nothing new), and a failure when the database cannot be reached.
    mail = str(pathlib.Path(_binary()).parent / "eas-mail")
    db = f"eas_migrate_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tA"]
    subprocess.run([*psql, "-c", f'CREATE DATABASE "{db}"'], check=True, capture_output=True)
    url = f"postgres://postgres@127.0.0.1:5432/{db}"
    env = {"PATH": "/usr/bin:/bin", "EAS_MAIL_DATABASE_URL": url, "EAS_MAIL_DIRECTORY_URL": url,
           "EAS_MAIL_KAFKA__BROKERS": "127.0.0.1:1"}
    try:
        for _ in range(2):
            run = subprocess.run([mail, "--migrate-only"], env=env, capture_output=True, text=True,
                                 timeout=60)
            assert run.returncode == 0, run.stderr
            assert "migrated: mail and directory databases" in run.stdout
        tables = subprocess.run(
            [*psql, "-d", db, "-c",
             "SELECT table_schema, count(*) FROM information_schema.tables "
             "WHERE table_schema IN ('mail', 'directory') GROUP BY 1 ORDER BY 1"],
            check=True, capture_output=True, text=True).stdout.split()
        assert [t.split("|")[0] for t in tables] == ["directory", "mail"]
        env["EAS_MAIL_DATABASE_URL"] = env["EAS_MAIL_DIRECTORY_URL"] = "postgres://postgres@127.0.0.1:1/x"
        run = subprocess.run([mail, "--migrate-only"], env=env, capture_output=True, text=True,
                             timeout=60)
        assert run.returncode != 0 and "migrat" in run.stderr
    finally:
        subprocess.run([*psql, "-c", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'],
                       capture_output=True)

