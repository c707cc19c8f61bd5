"""End-to-end: Prometheus metrics of the one-process server (`GET /metrics` on the admin
listener). Each test runs a flow — failed and throttled logins, LMTP deliveries and refusals, a
Sync, a Ping woken by a delivery, SendMail through the relay — and checks that the counters
moved by exactly what the flow did, in an exposition that the Prometheus client library parses.
Every metric docs/observability.md lists for the one-process server must be exposed."""
from __future__ import annotations

import concurrent.futures
import re
import time
import uuid
from email.message import EmailMessage

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import REPO, start_server, stop_server
from test_mail_sync import client, inbox, message
# The SMTP relay (aiosmtpd) of the SendMail tests, a fixture of this module too.
from test_send_mail import relay, wait_for  # noqa: F401

USER = "jdoe@example.loc"
OTHER = "asmith@example.loc"


@pytest.fixture(scope="module")
def server(relay):
    controller, _ = relay
    s = start_server({
        "EAS_SMTP_RELAY__HOST": "127.0.0.1",
        "EAS_SMTP_RELAY__PORT": str(controller.port),
        "EAS_EDGE__PING__MIN_HEARTBEAT_SECONDS": "1",
        # Three wrong passwords for one account from one address, then 503.
        "EAS_EDGE__AUTH__MAX_FAILURES_PER_ACCOUNT_AND_IP": "3",
    })
    yield s
    stop_server(s)


def metrics_url(server) -> str:
    return server.admin_url.rsplit("/admin", 1)[0] + "/metrics"


def scrape(server) -> dict[tuple[str, frozenset], float]:
    return scrape_url(metrics_url(server))


def scrape_url(url: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of the exposition by name and labels (empty labels left out, as Prometheus
    reads them). Parsing fails on anything that is not the text format."""
    r = requests.get(url, timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            labels = frozenset((k, v) for k, v in s.labels.items() if v != "")
            samples[(s.name, labels)] = s.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset((k, str(v)) for k, v in labels.items())), 0.0)


def delta(before, after, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def post_eas(server, login: str, password: str, cmd: str = "FolderSync") -> requests.Response:
    return requests.post(
        server.eas_url,
        params={"Cmd": cmd, "User": login, "DeviceId": "metrics" + uuid.uuid4().hex[:6],
                "DeviceType": "SmartPhone"},
        headers={"MS-ASProtocolVersion": "14.1", "Content-Type": "application/vnd.ms-sync.wbxml"},
        auth=(login, password),
        data=b"",
        timeout=30,
    )


def test_failed_and_throttled_logins_are_counted(server):
    before = scrape(server)
    assert post_eas(server, USER, "wrong password").status_code == 401
    assert post_eas(server, "nobody@example.loc", "whatever").status_code == 401
    # OTHER's fourth wrong password from this address is throttled (the limit is 3).
    statuses = [post_eas(server, OTHER, f"wrong {i}").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 503]
    after = scrape(server)
    assert delta(before, after, "eas_login_failures_total", reason="wrong_password") == 4
    assert delta(before, after, "eas_login_failures_total", reason="unknown_user") == 1
    assert delta(before, after, "eas_logins_throttled_total") == 1
    assert delta(before, after, "eas_requests_total", command="FolderSync", http_status=401) == 5
    assert delta(before, after, "eas_requests_total", command="FolderSync", http_status=503) == 1
    assert delta(before, after, "eas_request_duration_seconds_count", command="FolderSync") == 6


def test_deliveries_refusals_and_synced_items_are_counted(server):
    with client(server) as c:
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        key = c.sync_folder(folder, key).sync_key  # whatever earlier tests delivered
        before = scrape(server)
        refused = server.deliver("a@outside.test", [USER, "nobody@example.loc"], message("metrics 1"))
        assert list(refused) == ["nobody@example.loc"]
        server.deliver("a@outside.test", [USER], message("metrics 2"))
        r = c.sync_folder(folder, key, window_size=50)
        assert len(r.added) == 2
    after = scrape(server)
    assert delta(before, after, "eas_lmtp_deliveries_total") == 2
    assert delta(before, after, "eas_lmtp_refusals_total", code=550, reason="unknown_recipient") == 1
    assert delta(before, after, "eas_sync_items_sent_total", **{"class": "Email"}, change="add") == 2
    assert delta(before, after, "eas_requests_total", command="Sync", http_status=200) == 1
    # The histogram's buckets are cumulative and end with the count.
    count = value(after, "eas_request_duration_seconds_count", command="Sync")
    assert value(after, "eas_request_duration_seconds_bucket", command="Sync", le="+Inf") == count
    assert value(after, "eas_request_duration_seconds_bucket", command="Sync", le="0.005") <= count


def test_a_ping_woken_by_a_delivery_is_held_counted_and_timed(server):
    with client(server) as c:
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        while True:
            r = c.sync_folder(folder, key, window_size=100)
            key = r.sync_key
            if not r.more_available:
                break
        before = scrape(server)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = pool.submit(c.ping, [folder], heartbeat=120, timeout=150)
            deadline = time.time() + 10
            while value(scrape(server), "eas_held_pings") < 1 and time.time() < deadline:
                time.sleep(0.05)
            during = scrape(server)
            server.deliver("a@outside.test", [USER], message("wake the ping"))
            result = held.result(timeout=30)
        assert result.status == "2"
    after = scrape(server)
    assert value(during, "eas_held_pings") == 1
    assert value(after, "eas_held_pings") == 0
    assert delta(before, after, "eas_requests_total", command="Ping", http_status=200, eas_status=2) == 1
    assert delta(before, after, "eas_push_wakeup_delay_seconds_count", command="Ping") == 1
    # Delivery to answer on one machine: well under a second.
    assert delta(before, after, "eas_push_wakeup_delay_seconds_bucket", command="Ping", le="1") == 1
    assert 0 <= delta(before, after, "eas_push_wakeup_delay_seconds_sum", command="Ping") < 1


def test_send_mail_through_the_relay_is_counted_and_the_queue_empties(server, relay, monkeypatch):
    import pyactivesync._http as pyas_http

    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", "16.1")
    _, recorder = relay
    subject = f"metrics out {uuid.uuid4().hex[:8]}"
    m = EmailMessage()
    m["From"] = USER
    m["To"] = "Carol <carol@outside.test>"
    m["Subject"] = subject
    m.set_content("Counted.")
    before = scrape(server)
    with client(server) as c:
        c.send_mail(m, save_in_sent_items=False)
    wait_for(recorder, subject)
    deadline = time.time() + 10
    while time.time() < deadline:
        after = scrape(server)
        sent = delta(before, after, "eas_outbound_attempts_total", result="sent")
        if sent >= 1 and value(after, "eas_outbound_queue_depth") == 0:
            break
        time.sleep(0.1)
    assert delta(before, after, "eas_outbound_attempts_total", result="sent") == 1
    assert value(after, "eas_outbound_queue_depth") == 0
    assert delta(before, after, "eas_requests_total", command="SendMail", http_status=200) == 1


def test_every_documented_metric_is_exposed_with_help_and_type(server):
    # Last in the module: a labelled metric is exposed from its first series on, and the flows
    # above gave each one a series.
    r = requests.get(metrics_url(server), timeout=10)
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    doc = (REPO / "docs" / "observability.md").read_text()
    # The table rows of docs/observability.md: | `name` | type | labels | process | meaning |
    documented = re.findall(r"^\| `(eas_[a-z_]+)` \| (counter|gauge|histogram) \| [^|]* \| ([^|]*) \|",
                            doc, flags=re.M)
    assert len(documented) >= 20, "the metrics table of docs/observability.md was not found"
    here = [(n, t) for n, t, where in documented if "eas-server" in where]
    assert here, "no metric is documented for eas-server"
    for name, kind in here:
        family = next((f for f in (name, name.removesuffix("_total")) if f in families), None)
        assert family, f"{name} is documented but not exposed"
        assert families[family].type == kind, f"{name} is a {families[family].type}, documented as {kind}"
        assert families[family].documentation, f"{name} has no help text"
    # And nothing exposed is undocumented.
    names = {n for d, _, _ in documented for n in (d, d.removesuffix("_total"))}
    undocumented = [f for f in families if f.startswith("eas_") and f not in names]
    assert not undocumented, f"exposed but not in docs/observability.md: {undocumented}"
