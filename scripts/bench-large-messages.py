#!/usr/bin/env python3
"""Peak memory of the one-process server around 50 MiB messages (docs/benchmarks.md, "Mail:
messages of 50 MiB").

    scripts/bench-large-messages.py [--server-bin PATH] [--mib 50]

Starts the real eas-server (fresh data directory, SQLite), delivers one message of about --mib
MiB of plain text between two small ones over LMTP, and acts as a phone at 16.1. Before each
step it resets the server's peak RSS (`/proc/PID/clear_refs`, 5) and after it reads VmHWM:
a Sync at WindowSize 25 with TruncationSize 2048 over the three messages, the same without
truncation (the 50 MiB item goes in a window of its own), an ItemOperations Fetch of the item
inline and as multipart (MS-ASAcceptMultiPart: T; the client counts the bytes and keeps none).
Needs libwbxml's xml2wbxml (requests) and the test virtualenv (pyactivesync, for decoding).
"""
from __future__ import annotations

import argparse
import base64
import os
import pathlib
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

import requests
from pyactivesync._wbxml import WBXMLReader, find, find_all, text_of

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from rawclient import to_wbxml  # noqa: E402

USER, PASSWORD = "jdoe@example.loc", "demo-jdoe-1"


def status(pid: int) -> dict[str, int]:
    out = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


def cpu(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(binary: str) -> tuple[subprocess.Popen, str, tuple[str, int]]:
    data = tempfile.mkdtemp(prefix="eas-bench-big-")
    env = dict(os.environ, EAS_LISTEN="127.0.0.1:0", EAS_ADMIN_LISTEN="127.0.0.1:0",
               EAS_LMTP_LISTEN="127.0.0.1:0", EAS_DATA_DIR=data, EAS_LOG="warn")
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    url = lmtp = None
    while url is None or lmtp is None:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("eas-server did not start")
        if line.startswith("eas endpoint: "):
            url = line.split(": ", 1)[1].strip()
        elif line.startswith("lmtp: "):
            host, port = line.split(": ", 1)[1].strip().rsplit(":", 1)
            lmtp = (host, int(port))
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, url, lmtp


def message(subject: str, size: int) -> bytes:
    line = (b"abcdefghijklmnopqrstuvwxyz" * 3)[:78] + b"\r\n"
    body = (line * (size // len(line) + 1))[:size]
    return (f"From: b@outside.test\r\nTo: {USER}\r\nSubject: {subject}\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n").encode() + body


class Phone:
    def __init__(self, url: str, device: str):
        self.url, self.device, self.key = url, device, None
        self.session = requests.Session()

    def post(self, cmd: str, xml: str, extra: dict | None = None, stream: bool = False):
        headers = {"MS-ASProtocolVersion": "16.1", "Content-Type": "application/vnd.ms-sync.wbxml",
                   "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
        if self.key:
            headers["X-MS-PolicyKey"] = self.key
        headers.update(extra or {})
        params = {"Cmd": cmd, "User": USER, "DeviceId": self.device, "DeviceType": "Bench"}
        r = self.session.post(self.url, params=params, headers=headers, data=to_wbxml(xml),
                              stream=stream, timeout=600)
        assert r.status_code == 200, (cmd, r.status_code)
        return r

    def tree(self, cmd: str, xml: str):
        return WBXMLReader(self.post(cmd, xml).content).parse()

    def provision(self) -> str:
        pol = "<Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>{}</Policy></Policies>"
        t = self.tree("Provision", '<Provision xmlns="Provision:">' + pol.format("") + "</Provision>")
        temp = text_of(find(t, "Provision.PolicyKey"))
        ack = pol.format(f"<PolicyKey>{temp}</PolicyKey><Status>1</Status>")
        t = self.tree("Provision", '<Provision xmlns="Provision:">' + ack + "</Provision>")
        self.key = text_of(find(t, "Provision.PolicyKey"))
        t = self.tree("FolderSync", '<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>')
        for add in find_all(t, "FolderHierarchy.Add"):
            if text_of(find(add[2], "FolderHierarchy.Type")) == "2":
                return text_of(find(add[2], "FolderHierarchy.ServerId"))
        raise SystemExit("no inbox")

    def sync(self, inbox: str, key: str, truncation: int | None):
        pref = "<B:BodyPreference><B:Type>1</B:Type>" + (
            f"<B:TruncationSize>{truncation}</B:TruncationSize>" if truncation else "") + "</B:BodyPreference>"
        extra = "" if key == "0" else f"<GetChanges/><WindowSize>25</WindowSize><Options>{pref}</Options>"
        r = self.post("Sync", '<Sync xmlns="AirSync:" xmlns:B="AirSyncBase:"><Collections><Collection>'
                              f"<SyncKey>{key}</SyncKey><CollectionId>{inbox}</CollectionId>{extra}"
                              "</Collection></Collections></Sync>")
        t = WBXMLReader(r.content).parse()
        adds = [text_of(find(a[2], "AirSync.ServerId")) for a in find_all(t, "AirSync.Add")]
        more = find(t, "AirSync.MoreAvailable") is not None
        return text_of(find(t, "AirSync.SyncKey")), adds, more, len(r.content)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = os.environ.get("CARGO_TARGET_DIR", str(pathlib.Path.home() / ".cache" / "eas-target"))
    ap.add_argument("--server-bin", default=str(pathlib.Path(target) / "release" / "eas-server"))
    ap.add_argument("--mib", type=int, default=50)
    args = ap.parse_args()
    proc, url, lmtp = start(args.server_bin)
    pid = proc.pid
    size = args.mib * 1024 * 1024 - 4096
    try:
        t0 = time.time()
        with smtplib.LMTP(*lmtp) as s:
            s.sendmail("b@outside.test", [USER], message("small one", 1000))
            s.sendmail("b@outside.test", [USER], message("large", size))
            s.sendmail("b@outside.test", [USER], message("small two", 1000))
        print(f"delivered in {time.time() - t0:.1f} s; server {status(pid)}")
        rows = []
        biggest = {"size": 0, "id": None}

        def step(name: str, run) -> None:
            pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")
            before, c0, w0 = status(pid)["VmRSS"], cpu(pid), time.time()
            detail = run()
            after = status(pid)
            rows.append((name, before, after["VmHWM"], after["VmHWM"] - before,
                         cpu(pid) - c0, time.time() - w0, detail))

        for trunc in (2048, None):
            phone = Phone(url, f"bench{trunc or 'whole'}")
            inbox = phone.provision()
            key = phone.sync(inbox, "0", trunc)[0]

            def drain(phone=phone, inbox=inbox, key=key, trunc=trunc):
                answers, k = [], key
                while True:
                    k, adds, more, n = phone.sync(inbox, k, trunc)
                    if n > biggest["size"] and len(adds) == 1:
                        biggest.update(size=n, id=adds[0])
                    answers.append(f"{len(adds)} items/{n / 2**20:.1f} MiB")
                    if not more:
                        return ", ".join(answers)
            step(f"Sync, WindowSize 25, {'TruncationSize 2048' if trunc else 'untruncated'}", drain)
        sid = biggest["id"]
        fetch = ('<ItemOperations xmlns="ItemOperations:" xmlns:A="AirSync:" xmlns:B="AirSyncBase:"><Fetch>'
                 f"<Store>Mailbox</Store><A:CollectionId>{inbox}</A:CollectionId><A:ServerId>{sid}</A:ServerId>"
                 "<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options></Fetch>"
                 "</ItemOperations>")

        def fetch_with(extra):
            r = phone.post("ItemOperations", fetch, extra, stream=True)
            n = sum(len(c) for c in r.iter_content(1 << 16))
            return f"{n / 2**20:.1f} MiB, {r.headers['Content-Type']}"
        step("ItemOperations Fetch, inline", lambda: fetch_with({}))
        step("ItemOperations Fetch, multipart", lambda: fetch_with({"MS-ASAcceptMultiPart": "T"}))
        print("| step | VmRSS before | VmHWM | extra peak | server CPU | wall | answers |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, before, hwm, extra, c, w, d in rows:
            print(f"| {name} | {before} MiB | {hwm} MiB | {extra} MiB | {c:.2f} s | {w:.2f} s | {d} |")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
