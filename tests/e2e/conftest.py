"""Fixtures that start the real `eas-server` binary on loopback ports chosen by the OS, and the
XSD check that every WBXML response any client of the suite receives must pass."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests
import pyactivesync._http as pyas_http

import rawclient

REPO = pathlib.Path(__file__).resolve().parents[2]
DEMO_PASSWORDS = {"jdoe@example.loc": "demo-jdoe-1", "asmith@example.loc": "demo-asmith-2"}
WBXML_TYPE = "application/vnd.ms-sync.wbxml"


def _validator() -> str:
    """Path of the repository's XSD check of EAS responses (tests/xsd/validate.py, beside
    Microsoft's schemas)."""
    path = REPO / "tests" / "xsd" / "validate.py"
    if not path.is_file():
        raise pytest.UsageError(f"the xsd validator is missing at {path}")
    return str(path)


class XsdCheck:
    """Keeps every WBXML response body in a file and validates the files of one test in a batch
    (one validator run per command: starting it per response would cost more than the tests)."""

    def __init__(self, tool: str):
        self.tool = tool
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="eas-e2e-xsd-"))
        self.lock = threading.Lock()
        self.count = 0
        self.pending: dict[str, list[tuple[pathlib.Path, str]]] = {}

    def observe(self, command: str | None, resp: requests.Response) -> None:
        """Records a response whose content type is WBXML; a body that is not WBXML is recorded
        too, so the validator reports it."""
        ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        body = resp.content
        # An empty body is the whole answer for some commands (SendMail success, an empty Sync).
        if ctype != WBXML_TYPE or not body:
            return
        version = resp.request.headers.get("MS-ASProtocolVersion", "?") if resp.request else "?"
        label = f"{command} at {version}, HTTP {resp.status_code}"
        with self.lock:
            self.count += 1
            path = self.dir / f"{self.count:05d}-{command}-{version}.wbxml"
            path.write_bytes(body)
            self.pending.setdefault(command or "unknown", []).append((path, label))

    def check(self) -> list[str]:
        """Validates what was recorded since the last check; returns one line per problem.
        Files that pass are deleted; invalid ones stay for a look (the message names them)."""
        with self.lock:
            pending, self.pending = self.pending, {}
        problems = []
        for command, files in sorted(pending.items()):
            labels = {str(p): label for p, label in files}
            run = subprocess.run(
                [sys.executable, self.tool, "--kind", "response", "--command", command,
                 *[str(p) for p, _ in files]],
                capture_output=True, text=True,
            )
            if run.returncode not in (0, 1):
                problems.append(f"tests/xsd/validate.py could not check {command} responses: "
                                f"{run.stderr.strip() or run.stdout.strip()}")
                continue
            # The validator prints "ok FILE" or "invalid FILE: error" per file, with further
            # errors of the same file on indented lines below.
            invalid: dict[str, list[str]] = {}
            current = None
            for line in run.stdout.splitlines():
                if line.startswith("invalid "):
                    current, _, first = line[len("invalid "):].partition(": ")
                    invalid[current] = [first]
                elif line.startswith("ok "):
                    current = None
                elif current is not None:
                    invalid[current].append(line.strip())
            for path, errors in invalid.items():
                problems.append(f"{labels.get(path, command)} response is not valid by the XSD "
                                f"({path}):\n    " + "\n    ".join(errors))
            if run.returncode == 1 and not invalid:
                problems.append(f"tests/xsd/validate.py failed on {command} responses: {run.stdout.strip()}")
            for p, _ in files:
                if str(p) not in invalid:
                    p.unlink(missing_ok=True)
        return problems


XSD: XsdCheck | None = None


def _pyactivesync_hook(resp: requests.Response, *args, **kwargs) -> requests.Response:
    if XSD is not None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(resp.request.url).query)
        XSD.observe(query.get("Cmd", [None])[0], resp)
    return resp


def pytest_configure(config):
    global XSD
    XSD = XsdCheck(_validator())
    rawclient.RESPONSE_OBSERVERS.append(XSD.observe)
    # pyactivesync sends everything through one requests.Session per Transport; a response hook
    # on that session sees every answer, before the client parses it.
    original_init = pyas_http.Transport.__init__

    def init_with_xsd_hook(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.session.hooks["response"].append(_pyactivesync_hook)

    pyas_http.Transport.__init__ = init_with_xsd_hook


def _fail_on_invalid_responses(when: str) -> None:
    problems = XSD.check() if XSD is not None else []
    if problems:
        pytest.fail(f"invalid WBXML responses ({when}):\n" + "\n".join(problems), pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    # Anything answered after the last test's teardown still counts.
    problems = XSD.check() if XSD is not None else []
    if problems:
        print("\ninvalid WBXML responses after the last test:\n" + "\n".join(problems), file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if XSD is not None and not any(XSD.dir.iterdir()):
        XSD.dir.rmdir()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # Responses from the test's fixtures and from the test itself; when the test failed on its
    # own, its teardown reports them.
    result = yield
    _fail_on_invalid_responses("during the test")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    _fail_on_invalid_responses("during teardown")
    return result


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


def start_server(extra_env: dict[str, str] | None = None, data_dir: pathlib.Path | None = None) -> Server:
    """Starts eas-server on ports the OS picks, in a new data directory or in `data_dir` (to start
    it again on what an earlier run left)."""
    data_dir = data_dir or pathlib.Path(tempfile.mkdtemp(prefix="eas-e2e-"))
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
