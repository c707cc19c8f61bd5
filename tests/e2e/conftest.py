"""Fixtures that start the real `eas-server` binary on loopback ports chosen by the OS."""
from __future__ import annotations

import os
import pathlib
import subprocess
import tempfile
import threading
import time

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[2]
DEMO_PASSWORDS = {"jdoe@example.loc": "demo-jdoe-1", "asmith@example.loc": "demo-asmith-2"}


class Server:
    """A running eas-server: its EAS URL, admin URL and admin token."""

    def __init__(self, proc: subprocess.Popen, data_dir: pathlib.Path, eas_url: str, admin_url: str,
                 lmtp: tuple[str, int]):
        self.proc = proc
        self.data_dir = data_dir
        self.eas_url = eas_url
        self.admin_url = admin_url
        self.host_port = eas_url.split("//", 1)[1].split("/", 1)[0]
        self.token = (data_dir / "admin-token").read_text().strip()
        self.lmtp = lmtp

    def deliver(self, sender: str, recipients: list[str], message: bytes) -> dict:
        """Delivers a message over LMTP as an MTA would; returns the per-recipient refusals."""
        import smtplib

        with smtplib.LMTP(self.lmtp[0], self.lmtp[1]) as lmtp:
            return lmtp.sendmail(sender, recipients, message)

    def admin(self, method: str, path: str, json=None) -> requests.Response:
        return requests.request(
            method,
            self.admin_url.rsplit("/admin", 1)[0] + path,
            json=json,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )


def _binary() -> str:
    env = os.environ.get("EAS_SERVER_BIN")
    if env:
        return env
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    return str(pathlib.Path(target) / "debug" / "eas-server")


def start_server(extra_env: dict[str, str] | None = None) -> Server:
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="eas-e2e-"))
    env = dict(os.environ)
    env.update(
        {
            "EAS_LISTEN": "127.0.0.1:0",
            "EAS_ADMIN_LISTEN": "127.0.0.1:0",
            "EAS_LMTP_LISTEN": "127.0.0.1:0",
            "EAS_DATA_DIR": str(data_dir),
            "EAS_LOG": "info",
        }
    )
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [_binary()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    eas_url = admin_url = lmtp = None
    deadline = time.time() + 60
    lines = []
    assert proc.stdout is not None
    while time.time() < deadline and (eas_url is None or admin_url is None or lmtp is None):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("eas endpoint: "):
            eas_url = line.split(": ", 1)[1].strip()
        elif line.startswith("admin api: "):
            admin_url = line.split(": ", 1)[1].strip()
        elif line.startswith("lmtp: "):
            host, port = line.split(": ", 1)[1].strip().rsplit(":", 1)
            lmtp = (host, int(port))
    if eas_url is None or admin_url is None or lmtp is None:
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"eas-server did not start: {''.join(lines)}\n{err}")
    # Keep draining the pipes so the server never blocks on a full pipe.
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=lambda s=stream: [None for _ in s], daemon=True).start()
    return Server(proc, data_dir, eas_url, admin_url, lmtp)


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="module")
def server():
    s = start_server()
    yield s
    stop_server(s)
