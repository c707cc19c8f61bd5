"""End-to-end: ItemOperations (a whole item, an attachment by FileReference), GetItemEstimate
and GAL Search with pyactivesync at 16.1 and 14.1. Every answer is XSD-validated (conftest)."""
from __future__ import annotations

import os
import uuid
from email.message import EmailMessage

from test_mail_sync import USER, client, inbox, sync_all, version  # noqa: F401 (fixture)


def with_attachment(subject: str, name: str, payload: bytes) -> bytes:
    m = EmailMessage()
    m["From"] = "Sender Person <sender@outside.test>"
    m["To"] = "John Doe <jdoe@example.loc>"
    m["Subject"] = subject
    m["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    m.set_content("See the attached file.")
    m.add_attachment(payload, maintype="application", subtype="octet-stream", filename=name)
    return bytes(m)


def test_an_attachment_is_fetched_by_its_file_reference(server, version):
    subject = f"attachment {uuid.uuid4().hex[:8]}"
    payload = os.urandom(150_000)
    assert server.deliver("sender@outside.test", [USER], with_attachment(subject, "data.bin", payload)) == {}
    with client(server) as c:
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        _, added = sync_all(c, folder, key)
        item = next(a for a in added if a.fields.get("Email.Subject") == subject)
        fetched = c.fetch_item(folder, item.server_id)
        assert fetched.fields.get("Email.Subject") == subject
        assert [a.display_name for a in fetched.attachments] == ["data.bin"]
        assert c.fetch_attachment(fetched.attachments[0].file_reference) == payload


def test_get_item_estimate_counts_what_the_next_sync_brings(server, version):
    with client(server) as c:
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        key, _ = sync_all(c, folder, key)
        assert c.get_item_estimate(folder, key) == 0
        for i in range(3):
            server.deliver("sender@outside.test", [USER],
                           with_attachment(f"estimate {i}", "a.txt", b"x"))
        assert c.get_item_estimate(folder, key) == 3
        key, added = sync_all(c, folder, key)
        assert len(added) == 3
        assert c.get_item_estimate(folder, key) == 0


def test_the_gal_finds_a_colleague_by_name(server, version):
    with client(server) as c:
        found = c.search_gal("Anna")
    assert [(e.display_name, e.email_address) for e in found] == [("Anna Smith", "asmith@example.loc")]
