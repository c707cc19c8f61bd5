#!/usr/bin/env python3
"""Peak memory of eas-server under a flood of parallel bad logins from one address.

Starts the given eas-server binary on loopback (demo accounts, default argon2 cost: 19 MiB per
verification), fires N parallel FolderSync requests with wrong credentials for accounts that do
not exist, all from 127.0.0.1, and reports the answers and the server's peak resident memory
(VmHWM from /proc) before and after the flood. Loopback only; N is capped at 2000.

    scripts/bench-login-flood.py [--server BIN] [--parallel 100] [--parallel 1000] [--env K=V]

`--env` passes settings to the server, e.g. the limits switched off to see what an unbounded
server does (`EAS_EDGE__AUTH__MAX_FAILURES_PER_IP=100000`,
`EAS_EDGE__AUTH__MAX_CONCURRENT_VERIFICATIONS=100000`); with them, 1000 parallel logins can
take 512 x 19 MiB, so keep that case to 100.
"""
from __future__ import annotations

import argparse
import base64
import collections
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time

MAX_PARALLEL = 2000


def vm_kib(pid: int, field: str) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


def start(binary: str, data_dir: pathlib.Path, extra: list[str]) -> tuple[subprocess.Popen, str, int]:
    env = dict(os.environ)
    env.update({
        "EAS_LISTEN": "127.0.0.1:0",
        "EAS_ADMIN_LISTEN": "127.0.0.1:0",
        "EAS_LMTP_LISTEN": "127.0.0.1:0",
        "EAS_DATA_DIR": str(data_dir),
        "EAS_LOG": "warn",
    })
    for pair in extra:
        key, _, value = pair.partition("=")
        env[key] = value
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, text=True)
    assert proc.stdout is not None
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("eas endpoint: "):
            url = line.split(": ", 1)[1].strip()
            host_port = url.split("//", 1)[1].split("/", 1)[0]
            host, port = host_port.rsplit(":", 1)
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, host, int(port)
    proc.kill()
    raise RuntimeError("eas-server did not start")


def request(host: str, port: int, login: str, password: str) -> int:
    """One FolderSync with Basic credentials; the HTTP status (0 when the connection failed)."""
    auth = base64.b64encode(f"{login}:{password}".encode()).decode()
    head = (
        "POST /Microsoft-Server-ActiveSync?Cmd=FolderSync&User=x&DeviceId=flood&DeviceType=T"
        f" HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {auth}\r\n"
        "MS-ASProtocolVersion: 14.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    try:
        with socket.create_connection((host, port), timeout=120) as s:
            s.sendall(head.encode())
            first = s.recv(64).decode(errors="replace")
            return int(first.split(" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return 0


def flood(host: str, port: int, n: int) -> tuple[collections.Counter, float]:
    statuses: collections.Counter = collections.Counter()
    lock = threading.Lock()
    go = threading.Event()

    def one(i: int) -> None:
        go.wait()
        st = request(host, port, f"nobody{i}@example.loc", f"guess-{i}")
        with lock:
            statuses[st] += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    started = time.monotonic()
    go.set()
    for t in threads:
        t.join()
    return statuses, time.monotonic() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap.add_argument("--server", default=f"{target}/debug/eas-server")
    ap.add_argument("--parallel", type=int, action="append")
    ap.add_argument("--env", action="append", default=[])
    args = ap.parse_args()
    for n in args.parallel or [100, 1000]:
        n = min(n, MAX_PARALLEL)
        data_dir = pathlib.Path(tempfile.mkdtemp(prefix="eas-flood-"))
        proc, host, port = start(args.server, data_dir, args.env)
        try:
            # One good login first: the server has run argon2 once and is warm.
            assert request(host, port, "jdoe@example.loc", "demo-jdoe-1") in (200, 449)
            before = vm_kib(proc.pid, "VmHWM")
            statuses, took = flood(host, port, n)
            peak = vm_kib(proc.pid, "VmHWM")
            print(f"{n} parallel bad logins: answers {dict(sorted(statuses.items()))} in "
                  f"{took:.1f} s; peak RSS {before / 1024:.0f} MiB before, "
                  f"{peak / 1024:.0f} MiB after (+{(peak - before) / 1024:.0f} MiB)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
