"""End-to-end: phones keep their state when the one-process server restarts, after a clean stop
(SIGTERM) and after a crash (SIGKILL): the policy key still works (no 449 / status 142), sync keys
still work (no status 3, nothing downloaded again), flag changes made before the stop are all
there, a blocked device stays blocked and a pending remote wipe is still pending. pyactivesync
drives the phones at 16.1 and 14.1, the raw client FolderSync and the blocked and wiped devices.

The same test fails when the server keeps device state in memory (EAS_DEVICE_STORE=memory)."""
from __future__ import annotations

import os
import pathlib
import signal
import stat
import tempfile
import uuid
from email.message import EmailMessage

import pytest
from pyactivesync import Client, EmailChange, FolderType
import pyactivesync._http as pyas_http

from conftest import DEMO_PASSWORDS, start_server, stop_server
from rawclient import RawDevice

USER = "jdoe@example.loc"
MESSAGES = 30


@pytest.fixture(params=["16.1", "14.1"])
def version(request, monkeypatch):
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", request.param)
    return request.param


def message(subject: str) -> bytes:
    m = EmailMessage()
    m["From"] = "Sender Person <sender@outside.test>"
    m["To"] = "John Doe <jdoe@example.loc>"
    m["Subject"] = subject
    m["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    m.set_content("restart test")
    return bytes(m)


def client(server, device_id: str, policy_key: str | None = None) -> Client:
    """A pyactivesync client for `device_id`; with `policy_key` it presents that key as a phone
    does after the server restarted, instead of provisioning again."""
    c = Client(server=server.host_port, username=USER, password=DEMO_PASSWORDS[USER], device_id=device_id)
    c._transport.base_url = server.eas_url
    if policy_key is not None:
        c._transport.policy_key = policy_key
        c._provisioned = True
    return c


def sync_all(c: Client, folder: str, key: str):
    added, changed = [], []
    while True:
        r = c.sync_folder(folder, key, window_size=100)
        added += r.added
        changed += r.changed
        key = r.sync_key
        if not r.more_available:
            return key, added, changed


def raw(server, device_id: str, version: str, policy_key: str | None = None) -> RawDevice:
    d = RawDevice(server.eas_url, USER, DEMO_PASSWORDS[USER], device_id, version)
    d.policy_key = policy_key
    return d


def status_of(reply) -> str:
    """FolderSync's status, or the HTTP status when there is no body (below 14.0)."""
    return reply.text("Status") if reply.xml is not None else f"HTTP {reply.status}"


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_policy_keys_sync_keys_flags_blocks_and_wipes_survive_a_restart(version, stop):
    server = start_server()
    try:
        tag = uuid.uuid4().hex[:8]
        for i in range(MESSAGES):
            assert server.deliver("sender@outside.test", [USER], message(f"restart {tag} {i}")) == {}

        phone_id, tablet_id = "rphone" + tag, "rtablet" + tag
        with client(server, phone_id) as phone, client(server, tablet_id) as tablet:
            policy_key = phone.provision()
            tablet_key = tablet.provision()
            inbox = next(f.id for f in phone.list_folders() if f.type == FolderType.INBOX)
            folder_key = raw(server, phone_id, version, policy_key).folder_sync("0").text("SyncKey")
            key, added, _ = sync_all(phone, inbox, phone.sync_folder(inbox, "0").sync_key)
            ids = [a.server_id for a in added if f"restart {tag}" in a.fields.get("Email.Subject", "")]
            assert len(ids) == MESSAGES
            tablet.list_folders()
            tablet_sync, tablet_added, _ = sync_all(tablet, inbox, tablet.sync_folder(inbox, "0").sync_key)
            assert len(tablet_added) == MESSAGES
            # One Sync per flag change, each acknowledged with a new key before the next.
            for sid in ids:
                r = phone.apply_email_changes(inbox, key, [EmailChange(server_id=sid, read=True, flagged=True)])
                assert r.statuses[sid] == "1"
                key = r.sync_key

        blocked = raw(server, "rblocked" + tag, version)
        blocked.provision()
        assert server.admin("POST", f"/admin/devices/{USER}/{blocked.device_id}/block").status_code == 200
        wiped = raw(server, "rwiped" + tag, version)
        wiped.provision()
        assert server.admin("POST", f"/admin/devices/{USER}/{wiped.device_id}/wipe").status_code == 200
        assert status_of(blocked.folder_sync("0")) == "129"
        assert status_of(wiped.folder_sync("0")) == "140"

        if stop == "sigterm":
            stop_server(server)
            assert server.proc.returncode == 0
        else:
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(timeout=10)
        server = start_server(data_dir=server.data_dir)

        # The phone's policy key and folder hierarchy key still work: nothing to provision or
        # download again.
        r = raw(server, phone_id, version, policy_key).folder_sync(folder_key)
        assert status_of(r) == "1", r.raw
        assert r.text("Changes/Count") == "0"
        with client(server, phone_id, policy_key) as phone, client(server, tablet_id, tablet_key) as tablet:
            _, added, changed = sync_all(phone, inbox, key)
            assert added == [] and changed == [], "the phone got items again after the restart"
            # The tablet's key from before the changes still works, and it learns of every one.
            _, added, changed = sync_all(tablet, inbox, tablet_sync)
            assert added == []
            assert sorted(c.server_id for c in changed) == sorted(ids)
            assert all(c.fields.get("Email.Read") == "1" and c.fields.get("Email.Status") == "2" for c in changed)
        # A phone set up now sees every flag too (the mail store kept them).
        with client(server, "rnew" + tag) as fresh:
            _, added, _ = sync_all(fresh, inbox, fresh.sync_folder(inbox, "0").sync_key)
            mine = [a for a in added if a.server_id in ids]
            assert len(mine) == MESSAGES
            assert all(a.fields.get("Email.Read") == "1" and a.fields.get("Email.Status") == "2" for a in mine)

        assert status_of(raw(server, blocked.device_id, version, blocked.policy_key).folder_sync("0")) == "129"
        provision = raw(server, blocked.device_id, version).post(
            "Provision",
            '<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>'
            "</Policy></Policies></Provision>")
        assert provision.text("Status") == "129", "a blocked device provisioned after the restart"
        wiped_again = raw(server, wiped.device_id, version, wiped.policy_key)
        assert status_of(wiped_again.folder_sync("0")) == "140"
        r = wiped_again.post(
            "Provision",
            '<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>'
            "</Policy></Policies></Provision>")
        assert r.xml is not None and r.xml.find("RemoteWipe") is not None, r.raw
    finally:
        stop_server(server)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_data_directory_and_its_files_are_private():
    # An existing data directory open to everyone, and a common umask, which would leave new
    # files readable by every user of the machine.
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="eas-e2e-"))
    data_dir.chmod(0o755)
    old = os.umask(0o022)
    try:
        server = start_server(data_dir=data_dir)
    finally:
        os.umask(old)
    try:
        d = raw(server, "private" + uuid.uuid4().hex[:8], "16.1")
        d.provision()
        assert server.deliver("sender@outside.test", [USER], message("private")) == {}
        assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in server.data_dir.iterdir()}
        for name in ["admin-token", "directory.db", "mail.db", "devices.db", "devices.db-wal", "devices.db-shm"]:
            assert name in files, sorted(files)
        assert all(mode == 0o600 for mode in files.values()), files
    finally:
        stop_server(server)
