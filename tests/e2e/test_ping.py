"""End-to-end: Ping (push mail) with pyactivesync against the embedded server."""
from __future__ import annotations

import concurrent.futures
import time
import uuid

import pytest
import requests

from conftest import start_server, stop_server
from test_mail_sync import client, inbox, message, sync_all

USER = "jdoe@example.loc"


@pytest.fixture(scope="module")
def push_server():
    # A one-second minimum heartbeat keeps the expiry test short; production defaults to 60 s.
    s = start_server({"EAS_EDGE__PING__MIN_HEARTBEAT_SECONDS": "1"})
    yield s
    stop_server(s)


def synced(c, folder):
    key = c.sync_folder(folder, "0").sync_key
    return sync_all(c, folder, key)[0]


def test_a_held_ping_is_answered_with_the_folder_when_mail_arrives(push_server):
    with client(push_server) as c:
        folder = inbox(c)
        synced(c, folder)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = pool.submit(c.ping, [folder], heartbeat=120, timeout=150)
            time.sleep(0.5)
            assert not held.done(), "the ping must be held while nothing changes"
            push_server.deliver("a@outside.test", [USER], message(f"push {uuid.uuid4().hex[:6]}"))
            result = held.result(timeout=30)
    assert result.status == "2"
    assert result.changed_folder_ids == [folder]


def test_pending_changes_answer_the_ping_at_once(push_server):
    with client(push_server) as c:
        folder = inbox(c)
        synced(c, folder)
        push_server.deliver("a@outside.test", [USER], message("waiting already"))
        result = c.ping([folder], heartbeat=120, timeout=30)
    assert result.status == "2" and result.changed_folder_ids == [folder]


def test_a_ping_without_changes_expires_with_status_1(push_server):
    with client(push_server) as c:
        folder = inbox(c)
        synced(c, folder)
        result = c.ping([folder], heartbeat=2, timeout=30)
    assert result.status == "1"


def test_heartbeats_out_of_bounds_get_status_5(push_server):
    with client(push_server) as c:
        folder = inbox(c)
        result = c.ping([folder], heartbeat=100000, timeout=30)
    assert result.status == "5"


def test_an_unknown_folder_asks_for_a_folder_sync(push_server):
    with client(push_server) as c:
        c.provision()
        result = c.ping(["no-such-folder"], heartbeat=60, timeout=30)
    assert result.status == "7"


def test_a_second_ping_from_the_same_device_ends_the_first(push_server):
    device = "pingtwice" + uuid.uuid4().hex[:6]
    with client(push_server, device_id=device) as c1, client(push_server, device_id=device) as c2:
        folder = inbox(c1)
        synced(c1, folder)
        # The same phone: the second connection carries the same policy key.
        c2._transport.policy_key = c1._transport.policy_key
        c2._provisioned = True
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            first = pool.submit(c1.ping, [folder], heartbeat=120, timeout=150)
            time.sleep(0.5)
            second = pool.submit(c2.ping, [folder], heartbeat=120, timeout=150)
            assert first.result(timeout=30).status == "1"
            push_server.deliver("a@outside.test", [USER], message("after two pings"))
            assert second.result(timeout=30).status == "2"


@pytest.mark.parametrize("delay", [0, 2])
def test_sigterm_answers_held_pings_with_status_1_and_the_server_exits(delay):
    # With edge.drain.delay_seconds (a rolling restart behind a load balancer) the server turns
    # unready (/readyz 503) at once and answers held Pings after the delay; the real binary and
    # a real signal.
    s = start_server({"EAS_EDGE__PING__MIN_HEARTBEAT_SECONDS": "1",
                      "EAS_EDGE__DRAIN__DELAY_SECONDS": str(delay)})
    readyz = s.admin_url.rsplit("/admin", 1)[0] + "/readyz"
    try:
        assert requests.get(readyz, timeout=5).status_code == 200
        with client(s) as c:
            folder = inbox(c)
            synced(c, folder)
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                held = pool.submit(c.ping, [folder], heartbeat=600, timeout=60)
                time.sleep(0.5)
                assert not held.done()
                s.proc.terminate()
                signalled = time.monotonic()
                if delay:
                    while requests.get(readyz, timeout=5).status_code != 503:
                        assert time.monotonic() < signalled + 1.5, "/readyz still answers 200"
                        time.sleep(0.05)
                    assert not held.done(), "held Pings wait for the delay"
                assert held.result(timeout=30).status == "1"
                waited = time.monotonic() - signalled
                assert delay - 0.2 <= waited < delay + 4, waited
        assert s.proc.wait(timeout=30) == 0
    finally:
        stop_server(s)
