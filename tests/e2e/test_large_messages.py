"""End-to-end: messages as large as LMTP accepts (50 MiB) through Sync (windows of 1, 25 and 100,
with and without truncation), ItemOperations (inline and multipart) and Search, and thirty 200 KB
messages in one window, with the raw client (libwbxml) at 16.1 and 14.1 against the real binary.
Every WBXML answer is XSD-validated (conftest)."""
from __future__ import annotations

import base64
import struct
import uuid

import pytest
import requests

import rawclient
from rawclient import RawDevice, from_wbxml

USER = "jdoe@example.loc"
PASSWORD = "demo-jdoe-1"
OTHER = "asmith@example.loc"
OTHER_PASSWORD = "demo-asmith-2"
# The largest message LMTP accepts (50 MiB), less room for the headers.
BIG = 50 * 1024 * 1024 - 4096
# The body as the XML parser reports it: XML turns each CRLF into LF (80-byte lines become 79).
WHOLE = BIG * 79 // 80
MARK = uuid.uuid4().hex[:8]


def text_message(subject: str, size: int) -> bytes:
    line = (b"abcdefghijklmnopqrstuvwxyz" * 3)[:78] + b"\r\n"
    body = (line * (size // len(line) + 1))[:size]
    head = (f"From: Big Sender <big@outside.test>\r\nTo: John Doe <{USER}>\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@outside.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    return head + f"{subject} {MARK}\r\n".encode() + body


@pytest.fixture(scope="module")
def mailbox(server):
    """One 50 MiB message between two small ones, delivered over LMTP; their subjects."""
    subjects = [f"before {MARK}", f"huge {MARK}", f"after {MARK}"]
    assert server.deliver("big@outside.test", [USER], text_message(subjects[0], 1000)) == {}
    assert server.deliver("big@outside.test", [USER], text_message(subjects[1], BIG)) == {}
    assert server.deliver("big@outside.test", [USER], text_message(subjects[2], 1000)) == {}
    return subjects


def device(server, version: str, name: str) -> tuple[RawDevice, str]:
    d = RawDevice(server.eas_url, USER, PASSWORD, f"big{name}{version.replace('.', '')}{MARK}", version)
    d.provision()
    r = d.folder_sync("0")
    inbox = next(a.findtext("ServerId") for a in r.xml.iter("Add") if a.findtext("Type") == "2")
    return d, inbox


def sync(d: RawDevice, inbox: str, key: str, window: int, truncation: int | None):
    pref = "<B:BodyPreference><B:Type>1</B:Type>"
    if truncation is not None:
        pref += f"<B:TruncationSize>{truncation}</B:TruncationSize>"
    pref += "</B:BodyPreference>"
    options = "" if key == "0" else (f"<GetChanges/><WindowSize>{window}</WindowSize>"
                                     f"<Options>{pref}</Options>")
    r = d.post("Sync", '<Sync xmlns="AirSync:" xmlns:B="AirSyncBase:"><Collections><Collection>'
                       f"<SyncKey>{key}</SyncKey><CollectionId>{inbox}</CollectionId>{options}"
                       "</Collection></Collections></Sync>")
    assert r.status == 200, r.status
    coll = r.xml.find("Collections/Collection")
    assert coll.findtext("Status") == "1"
    adds = []
    for add in coll.iter("Add"):
        data = add.find("ApplicationData")
        adds.append((data.findtext("Subject"), len(data.findtext("Body/Data") or ""),
                     data.findtext("Body/Truncated") == "1"))
    return coll.findtext("SyncKey"), adds, coll.find("MoreAvailable") is not None


def drain(d: RawDevice, inbox: str, window: int, truncation: int | None):
    key, _, _ = sync(d, inbox, "0", window, truncation)
    answers = []
    for _ in range(200):
        key, adds, more = sync(d, inbox, key, window, truncation)
        answers.append(adds)
        if not more:
            return answers
    raise AssertionError("sync never ended")


@pytest.mark.parametrize("version", ["16.1", "14.1"])
@pytest.mark.parametrize("window", [1, 25, 100])
def test_a_50_mib_message_arrives_whole_in_a_window_of_its_own(server, mailbox, version, window):
    d, inbox = device(server, version, f"w{window}")
    answers = drain(d, inbox, window, None)
    mine = [a for page in answers for a in page if MARK in (a[0] or "")]
    assert sorted(s for s, _, _ in mine) == sorted(mailbox), "every item once"
    huge = next(a for a in mine if a[0] == mailbox[1])
    assert huge[1] >= WHOLE and not huge[2], "the whole body"
    # The 50 MiB item goes alone: nothing else shares its answer.
    assert [len(p) for p in answers if any(a[0] == mailbox[1] for a in p)] == [1]


@pytest.mark.parametrize("version", ["16.1", "14.1"])
@pytest.mark.parametrize("window", [1, 25, 100])
def test_a_truncated_50_mib_message_counts_like_a_small_one(server, mailbox, version, window):
    d, inbox = device(server, version, f"t{window}")
    answers = drain(d, inbox, window, 2048)
    mine = [a for page in answers for a in page if MARK in (a[0] or "")]
    assert sorted(s for s, _, _ in mine) == sorted(mailbox)
    _, n, truncated = next(a for a in mine if a[0] == mailbox[1])
    # 2048 bytes as sent, fewer characters once XML turned its CRLFs into LFs.
    assert truncated and 2048 * 79 // 80 - 1 <= n <= 2048
    total = sum(len(p) for p in answers)
    # Only WindowSize decides: as many answers as it takes, no more.
    assert len(answers) == max(1, -(-total // window))


def fetch_request(inbox: str, server_id: str) -> str:
    return ('<ItemOperations xmlns="ItemOperations:" xmlns:A="AirSync:" xmlns:B="AirSyncBase:">'
            f"<Fetch><Store>Mailbox</Store><A:CollectionId>{inbox}</A:CollectionId>"
            f"<A:ServerId>{server_id}</A:ServerId><Options><B:BodyPreference><B:Type>1</B:Type>"
            "</B:BodyPreference></Options></Fetch></ItemOperations>")


def huge_server_id(server, mailbox, version) -> tuple[RawDevice, str, str]:
    d, inbox = device(server, version, "io")
    key, _, _ = sync(d, inbox, "0", 100, 100)
    for _ in range(10):
        r = d.post("Sync", '<Sync xmlns="AirSync:" xmlns:B="AirSyncBase:"><Collections><Collection>'
                           f"<SyncKey>{key}</SyncKey><CollectionId>{inbox}</CollectionId><GetChanges/>"
                           "<WindowSize>100</WindowSize><Options><B:BodyPreference><B:Type>1</B:Type>"
                           "<B:TruncationSize>100</B:TruncationSize></B:BodyPreference></Options>"
                           "</Collection></Collections></Sync>")
        coll = r.xml.find("Collections/Collection")
        for add in coll.iter("Add"):
            if add.findtext("ApplicationData/Subject") == mailbox[1]:
                return d, inbox, add.findtext("ServerId")
        key = coll.findtext("SyncKey")
    raise AssertionError("the huge message was not synced")


@pytest.mark.parametrize("version", ["16.1", "14.1"])
def test_itemoperations_fetches_a_50_mib_message_inline_and_as_multipart(server, mailbox, version):
    d, inbox, sid = huge_server_id(server, mailbox, version)
    r = d.post("ItemOperations", fetch_request(inbox, sid))
    assert r.status == 200
    fetch = r.xml.find("Response/Fetch")
    assert fetch.findtext("Status") == "1"
    inline = fetch.findtext("Properties/Body/Data")
    assert len(inline) >= WHOLE
    # MS-ASHTTP 2.2.1.1.2.5: the same fetch as multipart (MS-ASCMD 2.2.1.10.1).
    headers = {
        "MS-ASProtocolVersion": version,
        "Content-Type": "application/vnd.ms-sync.wbxml",
        "MS-ASAcceptMultiPart": "T",
        "X-MS-PolicyKey": d.policy_key,
        "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
    }
    params = {"Cmd": "ItemOperations", "User": USER, "DeviceId": d.device_id, "DeviceType": d.device_type}
    resp = requests.post(d.eas_url, params=params, headers=headers, timeout=120,
                         data=rawclient.to_wbxml(fetch_request(inbox, sid)))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/vnd.ms-sync.multipart"
    raw = resp.content
    (count,) = struct.unpack_from("<i", raw, 0)
    assert count == 2
    spans = [struct.unpack_from("<ii", raw, 4 + 8 * n) for n in range(count)]
    assert spans[0][0] == 4 + 8 * count and spans[1][0] == spans[0][0] + spans[0][1]
    assert spans[1][0] + spans[1][1] == len(raw)
    wbxml = from_wbxml(raw[spans[0][0]:spans[0][0] + spans[0][1]])
    body = wbxml.find("Response/Fetch/Properties/Body")
    assert body.find("Data") is None and body.findtext("Part") == "1"
    part = raw[spans[1][0]:].decode().replace("\r\n", "\n")
    assert part.rstrip() == inline.rstrip() and len(part) >= WHOLE


@pytest.mark.parametrize("version", ["16.1", "14.1"])
def test_a_search_page_holding_the_50_mib_message_is_answered(server, mailbox, version):
    d, _ = device(server, version, "s")
    seen = []
    for _ in range(5):
        start = len(seen)
        r = d.post("Search", '<Search xmlns="Search:" xmlns:A="AirSync:" xmlns:B="AirSyncBase:"><Store>'
                             f"<Name>Mailbox</Name><Query><And><A:Class>Email</A:Class><FreeText>{MARK}"
                             f"</FreeText></And></Query><Options><Range>{start}-9</Range>"
                             "<B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options>"
                             "</Store></Search>")
        assert r.status == 200
        store = r.xml.find("Response/Store")
        assert store.findtext("Status") == "1" and store.findtext("Total") == "3"
        results = [x for x in store.iter("Result") if x.find("Properties") is not None]
        assert results
        seen += [(x.findtext("Properties/Subject"), len(x.findtext("Properties/Body/Data") or ""))
                 for x in results]
        if len(seen) >= 3:
            break
    assert sorted(s for s, _ in seen) == sorted(mailbox)
    assert dict(seen)[mailbox[1]] >= WHOLE


@pytest.fixture(scope="module")
def thirty(server):
    """Thirty messages of 200 KB for the other demo user (their 6 MB fit one response)."""
    mark = uuid.uuid4().hex[:8]
    for n in range(30):
        msg = text_message(f"mid {n} {mark}", 200_000)
        assert server.deliver("big@outside.test", [OTHER], msg) == {}
    return mark


@pytest.mark.parametrize("version", ["16.1", "14.1"])
def test_thirty_messages_of_200_kb_arrive_in_one_window(server, thirty, version):
    d = RawDevice(server.eas_url, OTHER, OTHER_PASSWORD, f"thirty{version.replace('.', '')}{thirty}", version)
    d.provision()
    r = d.folder_sync("0")
    inbox = next(a.findtext("ServerId") for a in r.xml.iter("Add") if a.findtext("Type") == "2")
    answers = drain(d, inbox, 100, None)
    assert len(answers) == 1 and len(answers[0]) == 30
    assert all(thirty in s and n >= 200_000 * 79 // 80 and not t for s, n, t in answers[0])
