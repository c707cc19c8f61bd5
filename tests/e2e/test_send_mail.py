"""End-to-end: mail out. SendMail at 16.1 (pyactivesync) and SmartReply at 14.1 (raw client),
to a local user (delivered directly) and to an external one (through aiosmtpd as the relay)."""
from __future__ import annotations

import base64
import socket
import time
import uuid
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from pyactivesync import Client, FolderType
import pyactivesync._http as pyas_http

from conftest import DEMO_PASSWORDS, start_server, stop_server
from rawclient import RawDevice

USER = "jdoe@example.loc"
OTHER = "asmith@example.loc"


class Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def relay():
    recorder = Recorder()
    # The largest message the server sends (50 MiB), not aiosmtpd's default of 32 MiB.
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(),
                            data_size_limit=64 * 1024 * 1024)
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture(scope="module")
def server(relay):
    controller, _ = relay
    s = start_server({"EAS_SMTP_RELAY__HOST": "127.0.0.1", "EAS_SMTP_RELAY__PORT": str(controller.port)})
    yield s
    stop_server(s)


def client(server, login=USER) -> Client:
    c = Client(server=server.host_port, username=login, password=DEMO_PASSWORDS[login],
               device_id="send" + uuid.uuid4().hex[:10])
    c._transport.base_url = server.eas_url
    return c


def subjects(c: Client, kind: FolderType) -> list[str]:
    folder = next(f.id for f in c.list_folders() if f.type == kind)
    key = c.sync_folder(folder, "0").sync_key
    found = []
    while True:
        r = c.sync_folder(folder, key, window_size=50)
        found += [a.fields.get("Email.Subject") for a in r.added]
        key = r.sync_key
        if not r.more_available:
            return found


def wait_for(recorder: Recorder, subject: str, timeout: float = 10.0):
    end = time.time() + timeout
    while time.time() < end:
        for m in recorder.messages:
            if subject in m[2]:
                return m
        time.sleep(0.1)
    raise AssertionError(f"relay never got {subject!r}")


def test_send_mail_at_16_1_reaches_a_local_user_the_relay_and_sent_items(server, relay, monkeypatch):
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", "16.1")
    _, recorder = relay
    subject = f"out {uuid.uuid4().hex[:8]}"
    m = EmailMessage()
    m["From"] = USER
    m["To"] = f"{OTHER}, Carol <carol@outside.test>"
    m["Bcc"] = "dave@outside.test"
    m["Subject"] = subject
    m.set_content("Lunch at noon?")
    with client(server) as c:
        c.send_mail(m, save_in_sent_items=True)
        assert subject in subjects(c, FolderType.SENT_ITEMS)
    mail_from, rcpts, content = wait_for(recorder, subject)
    assert mail_from == USER
    assert sorted(rcpts) == ["carol@outside.test", "dave@outside.test"]
    assert "bcc:" not in content.lower()
    with client(server, OTHER) as c:
        assert subject in subjects(c, FolderType.INBOX)


def test_smart_reply_at_14_1_quotes_the_original(server, relay):
    _, recorder = relay
    original = f"question {uuid.uuid4().hex[:8]}"
    server.deliver("carol@outside.test", [USER], (
        f"From: Carol <carol@outside.test>\r\nTo: {USER}\r\nSubject: {original}\r\n"
        f"Message-ID: <{original.replace(' ', '.')}@outside.test>\r\n\r\nWhere shall we meet?\r\n").encode())
    dev = RawDevice(server.eas_url, USER, DEMO_PASSWORDS[USER], "raw" + uuid.uuid4().hex[:8], "14.1")
    dev.provision()
    inbox = next(f.findtext("ServerId") for f in dev.folder_sync().xml.iter("Add") if f.findtext("Type") == "2")
    key = dev.post("Sync", f'<Sync xmlns="AirSync:"><Collections><Collection><SyncKey>0</SyncKey>'
                           f'<CollectionId>{inbox}</CollectionId></Collection></Collections></Sync>').text(
        "Collections/Collection/SyncKey")
    items = dev.post("Sync", f'<Sync xmlns="AirSync:" xmlns:E="Email:"><Collections><Collection><SyncKey>{key}</SyncKey>'
                             f'<CollectionId>{inbox}</CollectionId><WindowSize>100</WindowSize></Collection></Collections></Sync>')
    item = next(a.findtext("ServerId") for a in items.xml.iter("Add")
                if any((e.text or "") == original for e in a.iter("Subject")))
    subject = f"RE: {original}"
    mime = f"From: {USER}\r\nTo: carol@outside.test\r\nSubject: {subject}\r\n\r\nAt the station.\r\n"
    # libwbxml reads the MIME element's text as base64 and writes it as opaque data.
    body = ('<SmartReply xmlns="ComposeMail:"><ClientId>' + uuid.uuid4().hex + '</ClientId><SaveInSentItems/>'
            f'<Source><FolderId>{inbox}</FolderId><ItemId>{item}</ItemId></Source>'
            f'<MIME>{base64.b64encode(mime.encode()).decode()}</MIME></SmartReply>')
    reply = dev.post("SmartReply", body)
    assert reply.status == 200 and reply.raw == b"", reply.raw
    _, rcpts, content = wait_for(recorder, subject)
    assert rcpts == ["carol@outside.test"]
    assert "At the station." in content and "> Where shall we meet?" in content

    missing = body.replace(f"<ItemId>{item}</ItemId>", "<ItemId>999999999</ItemId>")
    gone = dev.post("SmartReply", missing)
    assert gone.status == 200 and gone.text("Status") == "150", gone.raw


def test_send_mail_of_40_mib_at_16_1_reaches_a_local_user_and_the_relay(server, relay, monkeypatch):
    """A message far over gRPC's 4 MiB default and the 16 MiB reply limit, under the edge's 50 MiB
    request limit: the edge hands it to the mail service in one request, which accepts it."""
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", "16.1")
    _, recorder = relay
    subject = f"big out {uuid.uuid4().hex[:8]}"
    m = EmailMessage()
    m["From"] = USER
    m["To"] = f"{OTHER}, Carol <carol@outside.test>"
    m["Subject"] = subject
    m.set_content("The scans are attached.")
    # 30 MiB of attachment: about 40 MiB of MIME once base64-encoded.
    m.add_attachment(bytes(range(256)) * (30 * 4096), maintype="application",
                     subtype="octet-stream", filename="scans.bin")
    assert len(m.as_bytes()) > 40 * 1024 * 1024
    with client(server) as c:
        c.send_mail(m, save_in_sent_items=False)
    _, rcpts, content = wait_for(recorder, subject, timeout=120)
    assert rcpts == ["carol@outside.test"]
    assert len(content) > 40 * 1024 * 1024
    with client(server, OTHER) as c:
        assert subject in subjects(c, FolderType.INBOX)


@pytest.mark.parametrize("version", ["16.1", "14.1"])
def test_the_recipients_of_sent_mail_are_collected_and_found_by_gal_search(server, relay, monkeypatch, version):
    """The mail service hands the contacts service the recipients of each message a user sends;
    the phone finds them through GAL search (the collected contacts are searched, not synced)."""
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", version)
    _, recorder = relay
    tag = uuid.uuid4().hex[:6]
    subject = f"collect {tag}"
    m = EmailMessage()
    m["From"] = USER
    m["To"] = f"Zelda Quux{tag} <zq{tag}@outside.test>"
    m["Subject"] = subject
    m.set_content("Hello.")
    with client(server) as c:
        c.send_mail(m, save_in_sent_items=False)
        wait_for(recorder, subject)
        # Collected after the answer, in a task of its own: give it a moment.
        deadline = time.time() + 10
        found = []
        while time.time() < deadline and not found:
            found = [e for e in c.search_gal(f"zq{tag}") if e.email_address == f"zq{tag}@outside.test"]
            time.sleep(0.2)
        assert found, "the recipient was not collected"
        assert found[0].display_name == f"Zelda Quux{tag}"
        # Found by a word of the name as well, and never synced into the Contacts folder.
        assert any(e.email_address == f"zq{tag}@outside.test" for e in c.search_gal(f"Quux{tag}"))
        contacts = next(f.id for f in c.list_folders() if f.type == FolderType.CONTACTS)
        key = c.sync_folder(contacts, "0").sync_key
        r = c.sync_folder(contacts, key)
        assert not any(i.fields.get("Contacts.Email1Address", "").endswith(f"zq{tag}@outside.test") for i in r.added)
