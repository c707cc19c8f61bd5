"""End-to-end: FilterType changes (items leave with SoftDelete, enter with Add) and Sync with Wait
answered early by an LMTP delivery, at 14.1 and 16.1, with the libwbxml raw client."""
from __future__ import annotations

import concurrent.futures
import sqlite3
import time
import uuid
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from conftest import DEMO_PASSWORDS, start_server, stop_server
from rawclient import RawDevice

USER = "jdoe@example.loc"
DAY = 86400


@pytest.fixture(scope="module")
def options_server():
    s = start_server()
    yield s
    stop_server(s)


@pytest.fixture(params=["14.1", "16.1"])
def version(request):
    return request.param


def message(subject: str, days_old: int) -> bytes:
    m = EmailMessage()
    m["From"] = "Sender Person <sender@outside.test>"
    m["To"] = "John Doe <jdoe@example.loc>"
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime.now(timezone.utc) - timedelta(days=days_old))
    m["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    m.set_content("filter test")
    return bytes(m)


def received_days_ago(server, subject: str, days: int) -> None:
    """The filter date of a message is the time the mail service received it (the delivery
    time, not the Date header), so a message "received" weeks ago is made by moving that
    time back in the mail store, as if the LMTP delivery had happened then."""
    when = int(time.time()) - days * DAY
    with sqlite3.connect(server.data_dir / "mail.db", timeout=30) as db:
        n = db.execute("UPDATE messages SET received_at = ? WHERE subject = ?", (when, subject)).rowcount
    assert n == 1, f"{subject}: {n} rows"


def phone(server, version: str) -> tuple[RawDevice, str]:
    d = RawDevice(server.eas_url, USER, DEMO_PASSWORDS[USER], "opt" + uuid.uuid4().hex[:10], version)
    d.provision()
    r = d.folder_sync("0")
    inbox = next(a.findtext("ServerId") for a in r.xml.iter("Add") if a.findtext("Type") == "2")
    return d, inbox


def sync_xml(inbox: str, key: str, filter_type: str | None = None, wait: str | None = None) -> str:
    options = f"<Options><FilterType>{filter_type}</FilterType></Options>" if filter_type else ""
    changes = "<GetChanges/>" if key != "0" else ""
    tail = f"<Wait>{wait}</Wait>" if wait else ""
    return (f'<Sync xmlns="AirSync:"><Collections><Collection><SyncKey>{key}</SyncKey>'
            f"<CollectionId>{inbox}</CollectionId>{changes}<WindowSize>100</WindowSize>{options}"
            f"</Collection></Collections>{tail}</Sync>")


class Phone:
    """What the phone holds of one folder: server id -> subject, kept by applying answers."""

    def __init__(self, device: RawDevice, folder: str):
        self.device = device
        self.folder = folder
        self.key = "0"
        self.items: dict[str, str] = {}
        self.soft_deleted: set[str] = set()
        self.deleted: set[str] = set()

    def apply(self, reply) -> bool:
        """Applies one Sync answer; returns MoreAvailable."""
        assert reply.status == 200, reply.status
        coll = reply.xml.find("Collections/Collection")
        assert coll is not None, reply.raw
        assert coll.findtext("Status") == "1", coll.findtext("Status")
        self.key = coll.findtext("SyncKey")
        commands = coll.find("Commands")
        for cmd in commands if commands is not None else []:
            sid = cmd.findtext("ServerId")
            if cmd.tag == "Add":
                assert sid not in self.items, f"{sid} added twice"
                self.items[sid] = cmd.findtext("ApplicationData/Subject")
            elif cmd.tag in ("Delete", "SoftDelete"):
                assert sid in self.items, f"{cmd.tag} of {sid}, which the phone does not hold"
                del self.items[sid]
                (self.soft_deleted if cmd.tag == "SoftDelete" else self.deleted).add(sid)
        return coll.find("MoreAvailable") is not None

    def sync(self, filter_type: str) -> None:
        """Syncs until nothing more is available, with this FilterType."""
        while self.apply(self.device.post("Sync", sync_xml(self.folder, self.key, filter_type))):
            pass

    def subjects(self, tag: str) -> set[str]:
        return {s for s in self.items.values() if s and tag in s}


def test_changing_the_filter_type_adds_and_soft_deletes_items(options_server, version):
    tag = uuid.uuid4().hex[:8]
    ages = {"today": 0, "two days": 2, "twenty days": 20, "sixty days": 60}
    for name, days in ages.items():
        subject = f"{name} {tag}"
        assert options_server.deliver("sender@outside.test", [USER], message(subject, days)) == {}
        received_days_ago(options_server, subject, days)
    device, inbox = phone(options_server, version)
    p = Phone(device, inbox)
    assert not p.apply(device.post("Sync", sync_xml(inbox, "0", "1")))  # key 0: no items

    def expect(*names):
        assert p.subjects(tag) == {f"{n} {tag}" for n in names}

    p.sync("1")  # one day
    expect("today")
    p.sync("3")  # one week: the two-day-old message is added
    expect("today", "two days")
    p.sync("0")  # everything
    expect("today", "two days", "twenty days", "sixty days")
    # Narrowing the window takes items away with SoftDelete (MS-ASCMD 2.2.3.172), not Delete.
    before = dict(p.items)
    p.sync("5")  # one month
    expect("today", "two days", "twenty days")
    p.sync("1")
    expect("today")
    gone = {sid for sid in before if sid not in p.items and tag in (before[sid] or "")}
    assert len(gone) == 3 and gone <= p.soft_deleted and not gone & p.deleted
    # The messages are still in the mailbox: a wider window brings them back.
    p.sync("0")
    expect("today", "two days", "twenty days", "sixty days")


def test_a_sync_with_wait_is_answered_early_by_an_lmtp_delivery(options_server, version):
    device, inbox = phone(options_server, version)
    p = Phone(device, inbox)
    p.apply(device.post("Sync", sync_xml(inbox, "0")))
    p.sync("0")
    subject = f"while waiting {uuid.uuid4().hex[:8]}"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        # Wait is in minutes (1 to 59); the raw client gives up after 30 s, so an answer only
        # at the end of the minute fails the test.
        held = pool.submit(device.post, "Sync", sync_xml(inbox, p.key, wait="1"))
        time.sleep(0.5)
        assert not held.done(), "the sync must be held while nothing changes"
        options_server.deliver("sender@outside.test", [USER], message(subject, 0))
        reply = held.result(timeout=40)
    before = set(p.items)
    p.apply(reply)
    added = {p.items[sid] for sid in set(p.items) - before}
    assert added == {subject}


def test_a_wait_out_of_range_gets_status_14_with_the_limit(options_server, version):
    device, inbox = phone(options_server, version)
    p = Phone(device, inbox)
    p.apply(device.post("Sync", sync_xml(inbox, "0")))
    r = device.post("Sync", sync_xml(inbox, p.key, wait="60"))
    assert (r.text("Status"), r.text("Limit")) == ("14", "59")
