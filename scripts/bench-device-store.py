#!/usr/bin/env python3
"""What the durable device store costs a phone: the round trip of a Sync that changes sync state
(a Read flag toggled on one message, so the server stores a new sync key each time), against the
real eas-server with `device_store = "memory"` and with `"sqlite"` (the default).

Usage: EAS_SERVER_BIN=target/release/eas-server scripts/bench-device-store.py [ROUNDS] [MESSAGES]
(run with the Python of the test virtualenv: it uses pyactivesync and the e2e fixtures). Prints
the median, p90 and p99 round trip per store. The client is the same for both, so the difference
is the server's."""
from __future__ import annotations

import os
import pathlib
import statistics
import sys
import time
import uuid
from email.message import EmailMessage

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from conftest import DEMO_PASSWORDS, start_server, stop_server  # noqa: E402
from pyactivesync import Client, EmailChange, FolderType  # noqa: E402

USER = "jdoe@example.loc"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/PID/stat)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def run(store: str, rounds: int, messages: int) -> tuple[list[float], float]:
    """The round trip of each Sync, and the server's CPU seconds per Sync (scripts/bench-metrics.py
    uses it too)."""
    server = start_server({"EAS_DEVICE_STORE": store, "EAS_LOG": "warn"})
    try:
        for i in range(messages):
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = "a@outside.test", USER, f"bench {i}"
            m.set_content("x")
            server.deliver("a@outside.test", [USER], bytes(m))
        c = Client(server=server.host_port, username=USER, password=DEMO_PASSWORDS[USER],
                   device_id="bench" + uuid.uuid4().hex[:8])
        c._transport.base_url = server.eas_url
        with c:
            inbox = next(f.id for f in c.list_folders() if f.type == FolderType.INBOX)
            key = c.sync_folder(inbox, "0").sync_key
            ids = []
            while True:
                r = c.sync_folder(inbox, key, window_size=100)
                ids += [a.server_id for a in r.added]
                key = r.sync_key
                if not r.more_available:
                    break
            times = []
            cpu_before = cpu_seconds(server.proc.pid)
            for i in range(rounds):
                started = time.perf_counter()
                r = c.apply_email_changes(inbox, key, [EmailChange(server_id=ids[i % len(ids)], read=i % 2 == 0)])
                times.append(time.perf_counter() - started)
                key = r.sync_key
            cpu = (cpu_seconds(server.proc.pid) - cpu_before) / rounds
        return times, cpu
    finally:
        stop_server(server)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    messages = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    for store in ("memory", "sqlite"):
        t = sorted(run(store, rounds, messages)[0])
        q = lambda p: 1000 * t[min(len(t) - 1, int(p * len(t)))]  # noqa: E731
        print(f"{store:<7} {rounds} Syncs with a change, {messages} messages held: "
              f"median {1000 * statistics.median(t):.2f} ms, p90 {q(0.9):.2f} ms, p99 {q(0.99):.2f} ms")


if __name__ == "__main__":
    main()
