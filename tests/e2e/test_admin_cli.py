"""End-to-end: the admin command line against a running server, and what phones see after it."""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest
from pyactivesync import Client, FolderType
from pyactivesync.exceptions import StatusError

from conftest import _binary


def cli(server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_binary(), "admin", "--url", server.admin_url.rsplit("/admin", 1)[0], "--token", server.token, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def phone(server, login: str, password: str, device_id: str | None = None) -> Client:
    c = Client(server=server.host_port, username=login, password=password,
               device_id=device_id or ("cli" + uuid.uuid4().hex[:10]))
    c._transport.base_url = server.eas_url
    return c


def test_a_user_added_with_the_cli_can_log_in_and_a_disabled_one_cannot(server):
    r = cli(server, "users", "add", "carol@example.loc", "--name", "Carol", stdin="carol-pass-1\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["address"] == "carol@example.loc"
    with phone(server, "carol@example.loc", "carol-pass-1") as c:
        assert any(f.type == FolderType.INBOX for f in c.list_folders())
    r = cli(server, "users", "disable", "carol@example.loc")
    assert r.returncode == 0, r.stderr
    with phone(server, "carol@example.loc", "carol-pass-1") as c:
        # MS-ASCMD 2.2.2: a disabled account gets status 126 (UserDisabledForSync) at 14.0+.
        with pytest.raises(StatusError) as err:
            c.provision()
        assert err.value.code == "126"


def test_the_cli_reports_errors_with_a_nonzero_exit(server):
    r = cli(server, "users", "add", "dave@unknown.test", "--name", "Dave", "--password", "x")
    assert r.returncode != 0
    assert "not found" in r.stdout + r.stderr
    bad = subprocess.run(
        [_binary(), "admin", "--url", server.admin_url.rsplit("/admin", 1)[0], "--token", "wrong", "users", "list"],
        capture_output=True, text=True, timeout=30,
    )
    assert bad.returncode != 0


def test_devices_are_listed_blocked_and_wiped_with_the_cli(server):
    device_id = "cliwipe" + uuid.uuid4().hex[:8]
    with phone(server, "asmith@example.loc", "demo-asmith-2", device_id) as c:
        c.provision()
        r = cli(server, "devices", "list", "--user", "asmith@example.loc")
        assert r.returncode == 0, r.stderr
        assert device_id in [d["device_id"] for d in json.loads(r.stdout)]
        r = cli(server, "devices", "wipe", "asmith@example.loc", device_id)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["wipe"]["state"] == "requested"
        # pyactivesync does not act on a wipe; the next data request is refused with status 140.
        with pytest.raises(StatusError) as err:
            c.list_folders()
        assert err.value.code == "140"


def test_gal_fields_and_a_photo_set_with_the_cli_reach_a_gal_search(server, tmp_path):
    r = cli(server, "users", "add", "erin@example.loc", "--name", "Erin Walsh", "--password", "erin-pass-1")
    assert r.returncode == 0, r.stderr
    r = cli(server, "user", "set-directory", "erin@example.loc", "--title", "Buyer",
            "--company", "Example Ltd", "--office", "C 1.02", "--phone", "+1 555 0200",
            "--mobile", "+1 555 0201", "--home-phone", "+1 555 0202", "--first-name", "Erin",
            "--last-name", "Walsh-Byrne")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["title"] == "Buyer"
    # An empty value clears one field and leaves the others.
    r = cli(server, "user", "set-directory", "erin@example.loc", "--office", "")
    assert r.returncode == 0, r.stderr
    fields = json.loads(r.stdout)
    assert fields["office"] is None and fields["company"] == "Example Ltd"
    photo = tmp_path / "erin.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    r = cli(server, "user", "photo", "erin@example.loc", str(photo))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"content_type": "image/png", "size": 508}
    with phone(server, "jdoe@example.loc", "demo-jdoe-1") as c:
        found = c.search_gal("walsh-b")
    assert [(e.email_address, e.title, e.company, e.office, e.phone, e.mobile_phone, e.home_phone,
             e.first_name, e.last_name) for e in found] == [
        ("erin@example.loc", "Buyer", "Example Ltd", None, "+1 555 0200", "+1 555 0201",
         "+1 555 0202", "Erin", "Walsh-Byrne")]
    r = cli(server, "users", "show", "erin@example.loc")
    assert json.loads(r.stdout)["photo"] == {"content_type": "image/png", "size": 508}
    # A file that is no image is refused with a nonzero exit; --clear removes the photo.
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    r = cli(server, "user", "photo", "erin@example.loc", str(text))
    assert r.returncode != 0
    assert "not a JPEG or PNG" in r.stdout + r.stderr
    r = cli(server, "user", "photo", "erin@example.loc", "--clear")
    assert r.returncode == 0, r.stderr
    r = cli(server, "users", "show", "erin@example.loc")
    assert json.loads(r.stdout)["photo"] is None
