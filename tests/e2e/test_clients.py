"""End-to-end: what independent clients hit. Calendar (not served yet) is synced as an empty folder
without a FolderSync loop, a Ping on a folder never synced is answered at once, Out of Office is
stored and returned, and drafts are created, synced, changed and sent at 16.1 (pyactivesync and
the raw libwbxml client), at 16.1 and 14.1."""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
import uuid
from email.message import EmailMessage

import pytest
from pyactivesync import Client, FolderType, OofState
import pyactivesync._http as pyas_http

from conftest import DEMO_PASSWORDS
import rawclient
from rawclient import RawDevice

USER = "jdoe@example.loc"
OTHER = "asmith@example.loc"


@pytest.fixture(params=["16.1", "14.1"])
def version(request, monkeypatch):
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", request.param)
    return request.param


def client(server, login=USER, device_id=None) -> Client:
    c = Client(server=server.host_port, username=login, password=DEMO_PASSWORDS[login],
               device_id=device_id or ("cl" + uuid.uuid4().hex[:12]))
    c._transport.base_url = server.eas_url
    return c


def raw_device(server, version, login=USER) -> RawDevice:
    d = RawDevice(server.eas_url, login, DEMO_PASSWORDS[login], "raw" + uuid.uuid4().hex[:10], version)
    d.provision()
    return d


def send_change_wbxml(collection_id: str, key: str, server_id: str) -> bytes:
    """A Sync Change carrying email2:Send, encoded here by hand (MS-ASWBXML code pages 0 and 22):
    libwbxml and pyactivesync do not know the 16.0 Email2 elements."""
    def s(text: str) -> bytes:
        return b"\x03" + text.encode() + b"\x00"
    return (b"\x03\x01\x6a\x00"                      # WBXML 1.3, UTF-8, no string table
            b"\x45\x5c\x4f"                            # Sync, Collections, Collection
            + b"\x4b" + s(key) + b"\x01"                # SyncKey
            + b"\x52" + s(collection_id) + b"\x01"      # CollectionId
            + b"\x13"                                    # GetChanges
            + b"\x56\x48"                               # Commands, Change
            + b"\x4d" + s(server_id) + b"\x01"          # ServerId
            + b"\x5d\x00\x16\x17\x00\x00\x01"            # ApplicationData, page 22 Send, page 0, end
            + b"\x01\x01\x01\x01\x01")                  # Change, Commands, Collection, Collections, Sync


def post_wbxml(d: RawDevice, cmd: str, body: bytes) -> rawclient.Reply:
    saved = rawclient.to_wbxml
    rawclient.to_wbxml = lambda _xml: body
    try:
        return d.post(cmd, "<raw/>")
    finally:
        rawclient.to_wbxml = saved


def folder_ids(reply) -> dict[int, str]:
    return {int(a.findtext("Type")): a.findtext("ServerId") for a in reply.xml.iter("Add")}


def sync_xml(collection_id: str, key: str, commands: str = "") -> str:
    return ('<Sync xmlns="AirSync:" xmlns:E="Email:" xmlns:E2="Email2:" xmlns:B="AirSyncBase:" '
            'xmlns:C="Contacts:"><Collections><Collection>'
            f"<SyncKey>{key}</SyncKey><CollectionId>{collection_id}</CollectionId>"
            + ("" if key == "0" else "<GetChanges/>")
            + (f"<Commands>{commands}</Commands>" if commands else "")
            + "</Collection></Collections></Sync>")


def collection(reply):
    return reply.xml.find("Collections/Collection")


def test_the_calendar_syncs_without_a_foldersync_loop_and_refuses_a_bad_item_storing_nothing(server, version):
    d = raw_device(server, version)
    fs = d.folder_sync("0")
    hierarchy_key = fs.text("SyncKey")
    folder = folder_ids(fs)[8]
    # The Calendar is served (test_calendar.py): the calendar service's folder, not a placeholder.
    assert folder.startswith("cal:"), folder
    key = "0"
    # What a client that follows the spec does: Sync twice, FolderSync, Sync.
    for step in ("key 0", "second sync", "after foldersync"):
        r = d.post("Sync", sync_xml(folder, key))
        assert r.status == 200
        coll = collection(r)
        assert coll.findtext("Status") == "1", (version, step)
        key = coll.findtext("SyncKey")
        if step == "second sync":
            again = d.folder_sync(hierarchy_key)
            assert again.text("Status") == "1"
            assert again.text("Changes/Count") == "0"
    # An item with a value MS-ASCAL does not allow (BusyStatus 9) is refused item by item
    # (MS-ASCAL 3.2.5.3: status 6); nothing is stored.
    add = ('<Add><ClientId>c1</ClientId><ApplicationData><K:Subject>Bad</K:Subject>'
           "<K:StartTime>20261210T090000Z</K:StartTime><K:EndTime>20261210T100000Z</K:EndTime>"
           "<K:BusyStatus>9</K:BusyStatus></ApplicationData></Add>")
    r = d.post("Sync", sync_xml(folder, key, add).replace('xmlns:C="Contacts:"', 'xmlns:K="Calendar:"'))
    coll = collection(r)
    assert coll.findtext("Status") == "1", r.raw
    assert coll.findtext("Responses/Add/Status") == "6", r.raw
    # The independent pyactivesync client sees the same: an empty calendar, status 1.
    with client(server) as c:
        folders = {f.type: f.id for f in c.list_folders()}
        key = c.sync_folder(folders[FolderType.CALENDAR], "0").sync_key
        r = c.sync_folder(folders[FolderType.CALENDAR], key)
        assert r.added == [] and r.deleted == []
        assert c.get_item_estimate(folders[FolderType.CALENDAR], r.sync_key) == 0


def test_a_ping_on_a_folder_never_synced_is_answered_at_once(server, version):
    with client(server) as c:
        inbox = next(f.id for f in c.list_folders() if f.type == FolderType.INBOX)
        started = time.monotonic()
        result = c.ping([inbox], heartbeat=300, timeout=60)
    assert result.status == "2" and result.changed_folder_ids == [inbox]
    assert time.monotonic() - started < 60


def test_out_of_office_is_stored_and_read_back(server, version):
    with client(server) as c:
        assert c.get_oof().state == OofState.DISABLED
        c.set_oof(OofState.ENABLED_SCHEDULED, start_time="2026-12-20T08:00:00.000Z",
                  end_time="2027-01-04T08:00:00.000Z", reply_message=f"Away ({version})")
        oof = c.get_oof()
        assert oof.state == OofState.ENABLED_SCHEDULED
        assert (oof.start_time, oof.end_time) == ("2026-12-20T08:00:00.000Z", "2027-01-04T08:00:00.000Z")
        assert sorted(m.applies_to for m in oof.messages) == sorted(["Internal", "ExternalKnown", "ExternalUnknown"])
        assert all(m.enabled and m.reply_message == f"Away ({version})" and m.body_type == "Text"
                   for m in oof.messages)
        c.set_oof(OofState.DISABLED)
        assert c.get_oof().state == OofState.DISABLED


def drafts_of(c: Client) -> tuple[str, str, list]:
    """The Drafts folder, its key after a full sync, and the drafts it holds."""
    folder = next(f.id for f in c.list_folders() if f.type == FolderType.DRAFTS)
    key = c.sync_folder(folder, "0").sync_key
    items = []
    while True:
        r = c.sync_folder(folder, key, window_size=50)
        items += r.added
        key = r.sync_key
        if not r.more_available:
            return folder, key, items


def inbox_subjects(c: Client) -> list[str]:
    folder = next(f.id for f in c.list_folders() if f.type == FolderType.INBOX)
    key = c.sync_folder(folder, "0").sync_key
    found = []
    while True:
        r = c.sync_folder(folder, key, window_size=50)
        found += [(a.fields.get("Email.Subject"), a.fields.get("Email.From")) for a in r.added]
        key = r.sync_key
        if not r.more_available:
            return found


def test_a_mime_draft_added_at_16_1_reaches_the_users_other_device(server):
    subject = f"draft {uuid.uuid4().hex[:8]}"
    msg = EmailMessage()
    msg["From"] = USER
    msg["To"] = OTHER
    msg["Subject"] = subject
    msg.set_content("not finished yet")
    with client(server) as phone, client(server) as tablet:
        folder, key, _ = drafts_of(phone)
        result = phone.create_email_draft(folder, key, msg, read=True)
        assert result.status == "1" and result.server_id
        _, _, seen = drafts_of(tablet)
        assert subject in [d.fields.get("Email.Subject") for d in seen]


def test_a_draft_is_changed_and_sent_with_sync_at_16_1(server):
    subject = f"plan {uuid.uuid4().hex[:8]}"
    d = raw_device(server, "16.1")
    drafts = folder_ids(d.folder_sync("0"))[3]
    key = collection(d.post("Sync", sync_xml(drafts, "0"))).findtext("SyncKey")
    add = ("<Add><ClientId>d1</ClientId><ApplicationData>"
           f"<E:To>{OTHER}</E:To><E2:Bcc>{USER}</E2:Bcc><E:Subject>{subject}</E:Subject>"
           "<E:Importance>2</E:Importance>"
           "<B:Body><B:Type>1</B:Type><B:Data>first words</B:Data></B:Body>"
           "</ApplicationData></Add>")
    coll = collection(d.post("Sync", sync_xml(drafts, key, add)))
    assert coll.findtext("Responses/Add/Status") == "1"
    first_id = coll.findtext("Responses/Add/ServerId")
    key = coll.findtext("SyncKey")
    # A Change of the subject: the rewritten draft replaces the old one.
    change = (f"<Change><ServerId>{first_id}</ServerId><ApplicationData>"
              f"<E:Subject>{subject} v2</E:Subject></ApplicationData></Change>")
    coll = collection(d.post("Sync", sync_xml(drafts, key, change)))
    assert coll.findtext("Status") == "1"
    assert coll.find("Responses/Change") is None
    deleted = [x.findtext("ServerId") for x in coll.iter("Delete")]
    added = [(x.findtext("ServerId"), x.findtext("ApplicationData/Subject")) for x in coll.iter("Add")
             if x.find("ApplicationData") is not None]
    assert deleted == [first_id]
    assert [s for _, s in added] == [f"{subject} v2"]
    second_id = added[0][0]
    key = coll.findtext("SyncKey")
    # Send: the draft goes to the recipient from the user and leaves Drafts.
    coll = collection(post_wbxml(d, "Sync", send_change_wbxml(drafts, key, second_id)))
    assert coll.findtext("Status") == "1"
    assert [x.findtext("ServerId") for x in coll.iter("Delete")] == [second_id], ET.tostring(coll)
    with client(server, login=OTHER) as other:
        got = dict(inbox_subjects(other))
    assert f"{subject} v2" in got
    assert USER in (got[f"{subject} v2"] or "")


def test_a_draft_add_below_16_is_refused_with_status_6(server):
    d = raw_device(server, "14.1")
    drafts = folder_ids(d.folder_sync("0"))[3]
    key = collection(d.post("Sync", sync_xml(drafts, "0"))).findtext("SyncKey")
    add = ("<Add><ClientId>d1</ClientId><ApplicationData><E:Subject>old protocol</E:Subject>"
           "</ApplicationData></Add>")
    coll = collection(d.post("Sync", sync_xml(drafts, key, add)))
    assert coll.findtext("Responses/Add/Status") == "6"
