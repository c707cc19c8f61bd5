"""End-to-end: contacts on the one-process server with the independent pyactivesync client, at
16.1 and 14.1: a contact added on one phone appears on another with every field, a change and a
delete follow, a vCard import through the admin command line reaches the phone and wakes a held
Ping, and the export keeps what the phone changed and what EAS cannot carry."""
from __future__ import annotations

import dataclasses
import pathlib
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
from pyactivesync import Client, Contact, ContactChange, FolderType
import pyactivesync._http as pyas_http

from conftest import DEMO_PASSWORDS, _binary

USER = "jdoe@example.loc"


@pytest.fixture(params=["16.1", "14.1"])
def version(request, monkeypatch):
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", request.param)
    return request.param


def client(server, device_id=None) -> Client:
    c = Client(server=server.host_port, username=USER, password=DEMO_PASSWORDS[USER],
               device_id=device_id or ("ct" + uuid.uuid4().hex[:12]))
    c._transport.base_url = server.eas_url
    return c


def cli(server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_binary(), "admin", "--url", server.admin_url.rsplit("/admin", 1)[0], "--token", server.token, *args],
        capture_output=True, text=True, timeout=30,
    )


def contacts_folder(c: Client) -> str:
    folders = [f for f in c.list_folders() if f.type == FolderType.CONTACTS]
    assert len(folders) == 1
    assert folders[0].id.startswith("con:"), folders[0]
    return folders[0].id


def synced(c: Client, folder: str):
    """Key 0, then the first round: the key and what the folder held."""
    key = c.sync_folder(folder, "0").sync_key
    r = c.sync_folder(folder, key)
    while r.more_available:
        r = c.sync_folder(folder, r.sync_key)
    return r


FULL = Contact(
    first_name="Grace", last_name="Hopper", job_title="Rear Admiral", company_name="US Navy",
    email1_address="grace@example.org", email2_address="g.hopper@example.net",
    mobile_phone_number="+1 555 0142", business_phone_number="+1 555 0143",
    home_address_city="Arlington", home_address_country="USA", web_page="https://example.org/grace",
    birthday="1906-12-09T00:00:00.000Z", categories=("Pioneers", "Navy"),
)


def test_a_contact_added_on_one_phone_appears_on_another_and_its_change_and_delete_follow(server, version):
    with client(server) as one, client(server) as two:
        folder = contacts_folder(one)
        key1 = synced(one, folder).sync_key
        before = synced(two, folder)
        added = one.create_contact(folder, key1, FULL)
        assert added.status == "1" and added.server_id
        r = two.sync_folder(folder, before.sync_key)
        items = [i for i in r.added if i.server_id == added.server_id]
        assert len(items) == 1, r
        f = items[0].fields
        assert f["Contacts.FirstName"] == "Grace" and f["Contacts.LastName"] == "Hopper"
        assert f["Contacts.Email1Address"] == "grace@example.org"
        assert f["Contacts.Email2Address"] == "g.hopper@example.net"
        assert f["Contacts.MobilePhoneNumber"] == "+1 555 0142"
        assert f["Contacts.HomeAddressCity"] == "Arlington"
        assert f["Contacts.WebPage"] == "https://example.org/grace"
        # A date stays on its day whatever the time of day a client writes.
        assert f["Contacts.Birthday"].startswith("1906-12-09")
        # The second phone changes the job title, sending the whole contact as phones do.
        changed = dataclasses.replace(FULL, job_title="Admiral")
        res = two.apply_contact_changes(folder, r.sync_key, [ContactChange(server_id=added.server_id, contact=changed)])
        assert res.statuses[added.server_id] == "1"
        r1 = one.sync_folder(folder, added.sync_key)
        items = [i for i in r1.changed if i.server_id == added.server_id]
        assert len(items) == 1, r1
        assert items[0].fields["Contacts.JobTitle"] == "Admiral"
        assert items[0].fields["Contacts.CompanyName"] == "US Navy"
        assert items[0].fields["Contacts.Birthday"].startswith("1906-12-09")
        # And the delete.
        res = two.apply_contact_changes(folder, res.sync_key, [ContactChange(server_id=added.server_id, delete=True)])
        r1 = one.sync_folder(folder, r1.sync_key)
        assert r1.deleted == [added.server_id]


VCARD = """BEGIN:VCARD
VERSION:4.0
FN:Katherine Johnson
N:Johnson;Katherine;;;
EMAIL;TYPE=work:katherine@example.org
EMAIL;TYPE=home:kj@example.net
EMAIL:kjohnson@example.com
EMAIL:k.johnson@example.edu
TEL;TYPE=cell:+1 555 0199
TEL;TYPE=cell:+1 555 0198
TITLE:Mathematician
ORG:NASA
BDAY:19180826
NOTE:Calculated trajectories.
END:VCARD
""".replace("\n", "\r\n")


@pytest.mark.parametrize("export_version", ["4", "3"])
def test_a_vcard_import_reaches_the_phone_wakes_a_ping_and_exports_back_with_the_phone_change(server, version, export_version):
    with client(server) as c, client(server) as watcher:
        folder = contacts_folder(c)
        state = synced(c, folder)
        # A held Ping on the Contacts folder, woken by the administrator's import.
        synced(watcher, folder)
        woke = {}

        def hold():
            woke["result"] = watcher.ping([folder], folder_class="Contacts", heartbeat=120, timeout=100)

        t = threading.Thread(target=hold)
        t.start()
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "in.vcf"
            path.write_text(VCARD)
            r = cli(server, "contacts", "import", USER, str(path))
            assert r.returncode == 0, r.stderr + r.stdout
            assert '"imported": 1' in r.stdout or '"imported":1' in r.stdout, r.stdout
        t.join(timeout=110)
        assert woke["result"].status == "2" and woke["result"].changed_folder_ids == [folder]
        r = c.sync_folder(folder, state.sync_key)
        items = [i for i in r.added if i.fields.get("Contacts.LastName") == "Johnson"]
        assert len(items) == 1, r
        f = items[0].fields
        # EAS carries three e-mail addresses; the phone sees the first three.
        assert [f.get(f"Contacts.Email{n}Address") for n in (1, 2, 3)] == [
            "katherine@example.org", "kj@example.net", "kjohnson@example.com"]
        assert f["Contacts.JobTitle"] == "Mathematician" and f["Contacts.CompanyName"] == "NASA"
        assert f["Contacts.Birthday"].startswith("1918-08-26")
        # The phone edits the title, sending every field it has.
        edit = Contact(first_name="Katherine", last_name="Johnson", job_title="Research Mathematician",
                       company_name="NASA", email1_address=f["Contacts.Email1Address"],
                       email2_address=f["Contacts.Email2Address"], email3_address=f["Contacts.Email3Address"],
                       mobile_phone_number=f["Contacts.MobilePhoneNumber"], birthday=f["Contacts.Birthday"])
        res = c.apply_contact_changes(folder, r.sync_key, [ContactChange(server_id=items[0].server_id, contact=edit)])
        assert res.statuses[items[0].server_id] == "1"
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "out.vcf"
            r = cli(server, "contacts", "export", USER, str(out), "--version", export_version)
            assert r.returncode == 0, r.stderr
            text = out.read_text()
        card = next(c for c in text.split("END:VCARD") if "Johnson" in c)
        assert f"VERSION:{export_version}.0" in card
        assert "Research Mathematician" in card
        # What EAS cannot carry stayed on the server: the fourth address, the second mobile.
        assert "k.johnson@example.edu" in card and "+1 555 0198" in card
        assert "1918" in card and "Calculated trajectories." in card
        # Clean up for the next run on this module's server.
        c.apply_contact_changes(folder, res.sync_key, [ContactChange(server_id=items[0].server_id, delete=True)])


def test_the_cli_refuses_a_file_without_a_vcard_and_an_unknown_user(server):
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "bad.vcf"
        path.write_text("this is not a vcard\n")
        r = cli(server, "contacts", "import", USER, str(path))
        assert r.returncode != 0 and "400" in r.stderr + r.stdout
        r = cli(server, "contacts", "export", "nobody@example.loc", str(pathlib.Path(tmp) / "x.vcf"))
        assert r.returncode != 0 and "404" in r.stderr + r.stdout
