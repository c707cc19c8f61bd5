"""End-to-end: the admin command line against a running server, and what phones see after it."""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest
from pyactivesync import Client, FolderType
from pyactivesync.exceptions import StatusError

from conftest import _binary


def cli(server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_binary(), "admin", "--url", server.admin_url.rsplit("/admin", 1)[0], "--token", server.token, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def phone(server, login: str, password: str, device_id: str | None = None) -> Client:
    c = Client(server=server.host_port, username=login, password=password,
               device_id=device_id or ("cli" + uuid.uuid4().hex[:10]))
    c._transport.base_url = server.eas_url
    return c


def test_a_user_added_with_the_cli_can_log_in_and_a_disabled_one_cannot(server):
    r = cli(server, "users", "add", "carol@example.loc", "--name", "Carol", stdin="carol-pass-1\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["address"] == "carol@example.loc"
    with phone(server, "carol@example.loc", "carol-pass-1") as c:
        assert any(f.type == FolderType.INBOX for f in c.list_folders())
    r = cli(server, "users", "disable", "carol@example.loc")
    assert r.returncode == 0, r.stderr
    with phone(server, "carol@example.loc", "carol-pass-1") as c:
        # MS-ASCMD 2.2.2: a disabled account gets status 126 (UserDisabledForSync) at 14.0+.
        with pytest.raises(StatusError) as err:
            c.provision()
        assert err.value.code == "126"


def test_the_cli_reports_errors_with_a_nonzero_exit(server):
    r = cli(server, "users", "add", "dave@unknown.test", "--name", "Dave", "--password", "x")
    assert r.returncode != 0
    assert "not found" in r.stdout + r.stderr
    bad = subprocess.run(
        [_binary(), "admin", "--url", server.admin_url.rsplit("/admin", 1)[0], "--token", "wrong", "users", "list"],
        capture_output=True, text=True, timeout=30,
    )
    assert bad.returncode != 0


def test_devices_are_listed_blocked_and_wiped_with_the_cli(server):
    device_id = "cliwipe" + uuid.uuid4().hex[:8]
    with phone(server, "asmith@example.loc", "demo-asmith-2", device_id) as c:
        c.provision()
        r = cli(server, "devices", "list", "--user", "asmith@example.loc")
        assert r.returncode == 0, r.stderr
        assert device_id in [d["device_id"] for d in json.loads(r.stdout)]
        r = cli(server, "devices", "wipe", "asmith@example.loc", device_id)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["wipe"]["state"] == "requested"
        # pyactivesync does not act on a wipe; the next data request is refused with status 140.
        with pytest.raises(StatusError) as err:
            c.list_folders()
        assert err.value.code == "140"
