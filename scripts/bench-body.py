#!/usr/bin/env python3
"""Peak memory of eas-server for one large request body.

    scripts/bench-body.py [--mib 49] [--kind read|sendmail] [--chunked] [--bin PATH]

Starts eas-server (PATH, else $EAS_SERVER_BIN, else $CARGO_TARGET_DIR/debug/eas-server) on
loopback with a fresh data directory and provisioning off, sends one warm-up request, then one
request whose body is --mib MiB, and prints how much the server's peak resident memory (VmHWM)
grew over what it was before the large request, and that growth as a multiple of the body.

  read      a FolderSync whose body is that many bytes of undecodable WBXML: the body is read
            whole (the HTTP layer and the edge's read_body), then refused with status 102.
  sendmail  a SendMail at protocol 12.1 whose body is a message/rfc822 message of that size
            (one text part): read, handed to the mail service, stored in the Sent Items folder.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlparse

REPO = pathlib.Path(__file__).resolve().parent.parent
USER, PASSWORD = "jdoe@example.loc", "demo-jdoe-1"


def vm_hwm_kib(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def start(binary: str, data_dir: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ)
    env.update({
        "EAS_LISTEN": "127.0.0.1:0",
        "EAS_ADMIN_LISTEN": "127.0.0.1:0",
        "EAS_LMTP_LISTEN": "127.0.0.1:0",
        "EAS_DATA_DIR": data_dir,
        "EAS_LOG": "warn",
        "EAS_EDGE__PROVISIONING__REQUIRED": "false",
    })
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    assert proc.stdout is not None
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("eas endpoint: "):
            url = line.split(": ", 1)[1].strip()
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, url
    proc.kill()
    raise RuntimeError("eas-server did not start")


def post(url: str, cmd: str, version: str, content_type: str, body: bytes, chunked: bool) -> int:
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    path = f"{u.path}?Cmd={cmd}&User=jdoe&DeviceId=benchbody1&DeviceType=Android"
    if cmd == "SendMail":
        path += "&SaveInSent=T"
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
        "MS-ASProtocolVersion": version,
        "Content-Type": content_type,
    }
    if chunked:
        step = 256 * 1024
        pieces = (body[i:i + step] for i in range(0, len(body), step))
        conn.request("POST", path, body=pieces, headers=headers, encode_chunked=True)
    else:
        conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def message(size: int) -> bytes:
    head = (f"From: {USER}\r\nTo: {USER}\r\nSubject: large body\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    line = b"x" * 76 + b"\r\n"
    return head + line * ((size - len(head)) // len(line))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mib", type=int, default=49)
    p.add_argument("--kind", choices=["read", "sendmail"], default="read")
    p.add_argument("--chunked", action="store_true")
    p.add_argument("--bin")
    a = p.parse_args()
    binary = a.bin or os.environ.get("EAS_SERVER_BIN") or str(
        pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug" / "eas-server")
    size = a.mib * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="eas-bench-body-") as data_dir:
        proc, url = start(binary, data_dir)
        try:
            if a.kind == "read":
                body = b"\x03\x01\x6a\x00" + b"\xff" * (size - 4)
                cmd, version, ctype = "FolderSync", "14.1", "application/vnd.ms-sync.wbxml"
            else:
                body = message(size)
                cmd, version, ctype = "SendMail", "12.1", "message/rfc822"
            # Warm-up: the same command with a small body (login, device record, mailbox).
            small = body[:4] if a.kind == "read" else message(4096)
            post(url, cmd, version, ctype, small, a.chunked)
            time.sleep(1)
            before = vm_hwm_kib(proc.pid)
            started = time.time()
            status = post(url, cmd, version, ctype, body, a.chunked)
            took = time.time() - started
            time.sleep(1)
            after = vm_hwm_kib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    grew = (after - before) / 1024
    print(f"binary: {binary}")
    print(f"{a.kind}{' chunked' if a.chunked else ''}: {len(body) / 1048576:.1f} MiB body, HTTP {status}, {took:.1f} s")
    print(f"peak RSS before {before / 1024:.1f} MiB, after {after / 1024:.1f} MiB: "
          f"+{grew:.1f} MiB = {grew * 1048576 / len(body):.2f}x the body")
    return 0


if __name__ == "__main__":
    sys.exit(main())
