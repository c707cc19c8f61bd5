"""End-to-end: `log_format = "json"` (EAS_LOG_FORMAT) makes every stderr line of the server one
JSON object with its level, target and fields at the top level (docs/observability.md, Logs)."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile

from conftest import _binary


def test_the_server_logs_json_lines_when_asked():
    data_dir = tempfile.mkdtemp(prefix="eas-e2e-json-")
    env = dict(os.environ)
    env.pop("RUST_LOG", None)
    env.update({
        "EAS_LISTEN": "127.0.0.1:0",
        "EAS_ADMIN_LISTEN": "127.0.0.1:0",
        "EAS_LMTP_LISTEN": "127.0.0.1:0",
        "EAS_DATA_DIR": data_dir,
        "EAS_LOG": "info",
        "EAS_LOG_FORMAT": "json",
    })
    proc = subprocess.Popen([_binary()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        # The start-up lines on stdout stay plain text for scripts.
        first = proc.stdout.readline()
        assert first.startswith("demo account: ") or first.startswith("admin token"), first
        # The server logs its connection caps at info once it serves.
        line = proc.stderr.readline()
        event = json.loads(line)
        assert event["level"] == "INFO"
        assert event["target"].startswith("eas_")
        assert isinstance(event["message"], str) and event["message"]
        assert event["timestamp"].endswith("Z")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
