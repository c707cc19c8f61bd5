"""End-to-end: a log stream that cannot be written never breaks a request. The real eas-server
runs with stderr, and then stdout too, on /dev/full (every write fails with "no space left on
device", as on a full disk): it starts, provisions a new phone, syncs, takes mail over LMTP and
sends mail, each exactly once and without dropping a connection."""
from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import tempfile
import time
import uuid
from email.message import EmailMessage

import pytest
import requests
from pyactivesync import Client, FolderType

from conftest import DEMO_PASSWORDS, Server, _binary, stop_server

USER = "jdoe@example.loc"
OTHER = "asmith@example.loc"

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_on_full(streams: tuple[str, ...]) -> Server:
    """Starts eas-server with the named streams on /dev/full, on ports chosen here (a full
    stdout cannot tell which ones it bound), at log level debug so that every request logs."""
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="eas-e2e-full-"))
    eas, admin, lmtp = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.update({
        "EAS_LISTEN": f"127.0.0.1:{eas}",
        "EAS_ADMIN_LISTEN": f"127.0.0.1:{admin}",
        "EAS_LMTP_LISTEN": f"127.0.0.1:{lmtp}",
        "EAS_DATA_DIR": str(data_dir),
        "EAS_LOG": "debug",
    })
    env.pop("RUST_LOG", None)
    full = open("/dev/full", "w")
    proc = subprocess.Popen(
        [_binary()],
        stdout=full if "stdout" in streams else subprocess.DEVNULL,
        stderr=full if "stderr" in streams else subprocess.DEVNULL,
        env=env,
    )
    full.close()
    eas_url = f"http://127.0.0.1:{eas}/Microsoft-Server-ActiveSync"
    deadline = time.time() + 60
    while time.time() < deadline:
        assert proc.poll() is None, f"eas-server exited with {proc.returncode} at start-up"
        try:
            healthy = requests.get(f"http://127.0.0.1:{admin}/healthz", timeout=2).status_code == 200
            if healthy and (data_dir / "admin-token").exists():
                with socket.create_connection(("127.0.0.1", lmtp), timeout=2):
                    break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("eas-server did not start")
    return Server(proc, data_dir, eas_url, f"http://127.0.0.1:{admin}/admin", ("127.0.0.1", lmtp))


def client(server: Server, login: str) -> Client:
    c = Client(server=server.host_port, username=login, password=DEMO_PASSWORDS[login],
               device_id="full" + uuid.uuid4().hex[:10])
    c._transport.base_url = server.eas_url
    return c


def inbox_subjects(c: Client, kind: FolderType = FolderType.INBOX) -> list[str]:
    folder = next(f.id for f in c.list_folders() if f.type == kind)
    key = c.sync_folder(folder, "0").sync_key
    found = []
    while True:
        r = c.sync_folder(folder, key, window_size=100)
        found += [a.fields.get("Email.Subject") for a in r.added]
        key = r.sync_key
        if not r.more_available:
            return found


@pytest.mark.parametrize("streams", [("stderr",), ("stdout", "stderr")], ids=["stderr", "stdout+stderr"])
def test_provision_sync_lmtp_and_send_mail_work_once_with_logs_on_a_full_disk(streams):
    server = start_on_full(streams)
    try:
        tag = uuid.uuid4().hex[:8]
        delivered = f"delivered {tag}"
        m = EmailMessage()
        m["From"] = "sender@outside.test"
        m["To"] = USER
        m["Subject"] = delivered
        m.set_content("into the inbox")
        # One LMTP delivery, accepted once: an MTA would not retry it.
        assert server.deliver("sender@outside.test", [USER], bytes(m)) == {}

        sent = f"sent {tag}"
        with client(server, USER) as phone:
            phone.provision()  # a new phone: its device record is created under a full log
            assert inbox_subjects(phone).count(delivered) == 1
            out = EmailMessage()
            out["From"] = USER
            out["To"] = OTHER
            out["Subject"] = sent
            out.set_content("to a local user")
            phone.send_mail(out, save_in_sent_items=True)
            assert inbox_subjects(phone, FolderType.SENT_ITEMS).count(sent) == 1
        with client(server, OTHER) as other:
            assert inbox_subjects(other).count(sent) == 1
        assert server.proc.poll() is None, "eas-server died"
    finally:
        stop_server(server)
    assert server.proc.returncode == 0, "eas-server did not stop cleanly"
