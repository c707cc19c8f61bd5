"""End-to-end: mail delivered over LMTP reaches the phone through Sync (pyactivesync, 16.1 and 14.1)."""
from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
from pyactivesync import Client, FolderType
import pyactivesync._http as pyas_http

from conftest import DEMO_PASSWORDS

USER = "jdoe@example.loc"


@pytest.fixture(params=["16.1", "14.1"])
def version(request, monkeypatch):
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", request.param)
    return request.param


def client(server, device_id=None) -> Client:
    c = Client(server=server.host_port, username=USER, password=DEMO_PASSWORDS[USER],
               device_id=device_id or ("mail" + uuid.uuid4().hex[:10]))
    c._transport.base_url = server.eas_url
    return c


def message(subject: str, body: str = "Hello from the test suite.") -> bytes:
    m = EmailMessage()
    m["From"] = "Sender Person <sender@outside.test>"
    m["To"] = "John Doe <jdoe@example.loc>"
    m["Subject"] = subject
    m["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    m.set_content(body)
    return bytes(m)


def inbox(c: Client) -> str:
    return next(f.id for f in c.list_folders() if f.type == FolderType.INBOX)


def sync_all(c: Client, folder: str, key: str, window: int = 25):
    """Syncs until MoreAvailable is off; returns the new key and every item added."""
    added = []
    while True:
        r = c.sync_folder(folder, key, window_size=window)
        added.extend(r.added)
        key = r.sync_key
        if not r.more_available:
            return key, added


def test_a_message_delivered_over_lmtp_is_synced_to_the_phone(server, version):
    subject = f"lmtp to phone {uuid.uuid4().hex[:8]}"
    refused = server.deliver("sender@outside.test", [USER], message(subject, "Body text 12345."))
    assert refused == {}
    with client(server) as c:
        folder = inbox(c)
        first = c.sync_folder(folder, "0")
        assert first.added == []  # MS-ASCMD: key 0 returns a key and no items
        key, added = sync_all(c, folder, first.sync_key)
    mine = [a for a in added if a.fields.get("Email.Subject") == subject]
    assert len(mine) == 1, [a.fields for a in added]
    f = mine[0].fields
    assert "sender@outside.test" in f.get("Email.From", "")
    assert "Body text 12345." in f.get("AirSyncBase.Data", "")


def test_an_unknown_recipient_is_refused_and_the_known_one_gets_the_mail(server):
    import smtplib

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        server.deliver("sender@outside.test", ["nobody@example.loc"], message("nobody"))
    refused = server.deliver("sender@outside.test", ["nobody@example.loc", "asmith@example.loc"], message("mixed"))
    assert "nobody@example.loc" in refused and "asmith@example.loc" not in refused


def test_windows_and_a_resent_key_never_duplicate_items(server):
    tag = uuid.uuid4().hex[:8]
    for i in range(7):
        server.deliver("sender@outside.test", [USER], message(f"window {tag} {i}"))
    with client(server) as c:
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        seen = []
        first = c.sync_folder(folder, key, window_size=3)
        # The phone lost that answer and sends the same key again: the same items come back.
        again = c.sync_folder(folder, key, window_size=3)
        assert [a.server_id for a in again.added] == [a.server_id for a in first.added]
        assert again.sync_key == first.sync_key
        seen.extend(a.server_id for a in again.added)
        key, rest = sync_all(c, folder, again.sync_key, window=3)
        seen.extend(a.server_id for a in rest)
    subjects = [s for s in seen]
    assert len(subjects) == len(set(subjects)), "an item was sent twice"


def test_a_sync_with_an_unknown_key_gets_status_3(server):
    from pyactivesync.exceptions import StatusError

    with client(server) as c:
        folder = inbox(c)
        with pytest.raises(StatusError) as err:
            c.sync_folder(folder, "deadbeef-99")
    assert err.value.code == "3"


def test_read_on_one_device_is_seen_on_another_and_a_delete_moves_to_deleted_items(server):
    from pyactivesync import EmailChange

    subject = f"two devices {uuid.uuid4().hex[:8]}"
    server.deliver("sender@outside.test", [USER], message(subject))
    with client(server) as phone, client(server) as tablet:
        folder = inbox(phone)
        key1, added1 = sync_all(phone, folder, phone.sync_folder(folder, "0").sync_key)
        key2, added2 = sync_all(tablet, folder, tablet.sync_folder(folder, "0").sync_key)
        item = next(a.server_id for a in added1 if a.fields.get("Email.Subject") == subject)
        assert next(a for a in added2 if a.server_id == item).fields.get("Email.Read") == "0"

        r = phone.apply_email_changes(folder, key1, [EmailChange(server_id=item, read=True)])
        assert r.statuses[item] == "1"
        seen = tablet.sync_folder(folder, key2)
        changed = [c for c in seen.changed if c.server_id == item]
        assert changed and changed[0].fields.get("Email.Read") == "1"
        # The phone that made the change is not told about it again.
        mine = phone.sync_folder(folder, r.sync_key)
        assert all(c.server_id != item for c in mine.changed)

        r = phone.apply_email_changes(folder, mine.sync_key, [EmailChange(server_id=item, delete=True)])
        gone = tablet.sync_folder(folder, seen.sync_key)
        assert item in gone.deleted
        trash = next(f.id for f in tablet.list_folders() if f.type == FolderType.DELETED_ITEMS)
        _, in_trash = sync_all(tablet, trash, tablet.sync_folder(trash, "0").sync_key)
        assert any(a.fields.get("Email.Subject") == subject for a in in_trash)


def test_a_moved_message_arrives_in_the_destination_under_the_returned_id(server):
    subject = f"move me {uuid.uuid4().hex[:8]}"
    server.deliver("sender@outside.test", [USER], message(subject))
    with client(server) as c:
        folder = inbox(c)
        drafts = next(f.id for f in c.list_folders() if f.type == FolderType.DRAFTS)
        _, added = sync_all(c, folder, c.sync_folder(folder, "0").sync_key)
        item = next(a.server_id for a in added if a.fields.get("Email.Subject") == subject)
        new_id = c.move_item(item, folder, drafts)
        _, in_drafts = sync_all(c, drafts, c.sync_folder(drafts, "0").sync_key)
    assert [a.server_id for a in in_drafts if a.fields.get("Email.Subject") == subject] == [new_id]

