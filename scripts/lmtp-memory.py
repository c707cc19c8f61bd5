#!/usr/bin/env python3
"""Peak memory of the one-process server while it takes one large message over LMTP
(docs/benchmarks.md, "Mail: LMTP delivery of a large message").

    scripts/lmtp-memory.py EAS_SERVER_BIN MESSAGE_MIB [MESSAGE_MIB ...]

For each size: starts the server on loopback with a fresh data directory (demo accounts, the
LMTP size limit raised to 100 MiB), builds a message of about MESSAGE_MIB MiB (a short text
body and one random binary attachment, base64), resets the server's VmHWM
(/proc/PID/clear_refs), delivers the message to jdoe@example.loc with Python's smtplib.LMTP
and reads VmRSS before and VmHWM after from /proc/PID/status. Prints one line per size.
"""

import os
import smtplib
import subprocess
import sys
import tempfile
import time
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

MIB = 1024 * 1024


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def message(total_mib):
    # base64 grows by 4/3 and by the CRLF after every 76 characters.
    attachment = int(total_mib * MIB * 3 / 4 * 76 / 78) - 4096
    msg = MIMEMultipart()
    msg["From"] = "ann@example.org"
    msg["To"] = "jdoe@example.loc"
    msg["Subject"] = f"{total_mib} MiB"
    msg.attach(MIMEText("the attachment follows\n"))
    part = MIMEApplication(os.urandom(attachment), Name="data.bin")
    part["Content-Disposition"] = 'attachment; filename="data.bin"'
    msg.attach(part)
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), attachment


def run(server_bin, total_mib):
    data_dir = tempfile.mkdtemp(prefix="eas-lmtp-memory-")
    env = dict(os.environ)
    env.update(
        EAS_LISTEN="127.0.0.1:0",
        EAS_ADMIN_LISTEN="127.0.0.1:0",
        EAS_LMTP_LISTEN="127.0.0.1:0",
        EAS_DATA_DIR=data_dir,
        EAS_LOG="warn",
        EAS_MAX_MESSAGE_BYTES=str(100 * MIB),
    )
    server = subprocess.Popen([server_bin], env=env, stdout=subprocess.PIPE, text=True)
    try:
        lmtp = None
        while lmtp is None:
            line = server.stdout.readline()
            if not line:
                raise RuntimeError("eas-server ended before printing its lmtp address")
            if line.startswith("lmtp: "):
                host, port = line[len("lmtp: "):].strip().rsplit(":", 1)
                lmtp = (host, int(port))
        raw, attachment = message(total_mib)
        time.sleep(1.0)
        rss_before = status_kib(server.pid, "VmRSS")
        with open(f"/proc/{server.pid}/clear_refs", "w") as f:
            f.write("5")
        started = time.monotonic()
        client = smtplib.LMTP(*lmtp)
        refused = client.sendmail("ann@example.org", ["jdoe@example.loc"], raw)
        client.quit()
        took = time.monotonic() - started
        hwm = status_kib(server.pid, "VmHWM")
        rss_after = status_kib(server.pid, "VmRSS")
        print(
            f"message {len(raw) / MIB:.1f} MiB (attachment {attachment / MIB:.1f} MiB): "
            f"delivered in {took:.1f} s, refused {refused or 'none'}; server VmRSS before "
            f"{rss_before / 1024:.1f} MiB, peak (VmHWM) {hwm / 1024:.1f} MiB "
            f"(+{(hwm - rss_before) / 1024:.1f} MiB), after {rss_after / 1024:.1f} MiB"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["rm", "-rf", data_dir], check=False)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for size in sys.argv[2:]:
        run(sys.argv[1], float(size))


if __name__ == "__main__":
    main()
