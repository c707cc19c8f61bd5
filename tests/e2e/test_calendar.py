"""End-to-end: calendars on the one-process server, driven at 14.1 and 16.1 by the raw client
(libwbxml's codec, no code shared with the server): a weekly series with a moved and a deleted
occurrence made on one phone is the same on another and in the iCalendar export; at 16.1 one
occurrence changes and goes by InstanceId, the server makes the UID and a retried ClientUid adds
nothing; all-day and three-day all-day events keep their dates; a Change of the subject keeps the
rest; FilterType 4 keeps a yearly series that started three years ago and FilterType 1 is refused;
a calendar shared with the user is offered to an iPhone and not to an Android phone unless an
administrator says otherwise for the user or the device, its owner's change wakes the
iPhone's Ping, and the iPhone's FolderDelete of it leaves the share; an administrator sets a
user's own time zone; at 16.1 an attachment added on one phone (its ClientId answered with a
FileReference) is fetched whole and by range on another by ItemOperations, a Change adds
another and a Delete removes one there too, while a 14.1 phone sees the event without them;
pyactivesync reads a series and manages a calendar at 14.1 and 16.1. Every WBXML response is
checked against the XSDs by the suite's observer."""
from __future__ import annotations

import base64
import pathlib
import re
import struct
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

from conftest import DEMO_PASSWORDS, _binary
from rawclient import RawDevice, Reply

USER = "jdoe@example.loc"
OTHER = "asmith@example.loc"
NS = 'xmlns="AirSync:" xmlns:A="AirSyncBase:" xmlns:C="Calendar:"'


def tz_blob(bias: int, std: tuple[int, int, int, int], dst: tuple[int, int, int, int], dst_bias: int) -> str:
    """A TIME_ZONE_INFORMATION blob (MS-ASDTYPE 2.7.6) with empty names, as Android writes it
    (PIM_FACTS 1.2): `std`/`dst` are (month, day of week, week 1-5 with 5 the last, hour)."""
    def systemtime(month, dow, week, hour):
        return struct.pack("<8H", 0, month, dow, week, hour, 0, 0, 0)
    blob = (struct.pack("<i", bias) + b"\0" * 64 + systemtime(*std) + struct.pack("<i", 0)
            + b"\0" * 64 + systemtime(*dst) + struct.pack("<i", dst_bias))
    assert len(blob) == 172
    return base64.b64encode(blob).decode()


# Europe/Paris: UTC+1, summer time from the last Sunday of March 02:00 to the last Sunday of
# October 03:00.
PARIS = tz_blob(-60, (10, 0, 5, 3), (3, 0, 5, 2), -60)


# libwbxml names some Calendar tokens as Exchange 2003 did (its table, not the spec's): the
# requests are written in its names and the responses read back into the spec's.
LIBWBXML_NAMES = {
    "Timezone": "TimeZone", "Type": "Recurrence_Type", "Interval": "Recurrence_Interval",
    "Occurrences": "Recurrence_Occurrences", "DayOfWeek": "Recurrence_DayOfWeek",
    "DayOfMonth": "Recurrence_DayOfMonth", "WeekOfMonth": "Recurrence_WeekOfMonth",
    "MonthOfYear": "Recurrence_MonthOfYear", "Until": "Recurrence_Until",
    "ExceptionStartTime": "Exception_StartTime", "Deleted": "Exception_Deleted",
}
SPEC_NAMES = {v: k for k, v in LIBWBXML_NAMES.items()}


def lw(xml: str) -> str:
    for spec, theirs in LIBWBXML_NAMES.items():
        xml = xml.replace(f"<C:{spec}>", f"<C:{theirs}>").replace(f"</C:{spec}>", f"</C:{theirs}>")
    return xml


def spec_names(root) -> None:
    for el in root.iter():
        el.tag = SPEC_NAMES.get(el.tag, el.tag)


def device(server, version: str, login: str = USER, device_type: str = "Android") -> RawDevice:
    d = RawDevice(server.eas_url, login, DEMO_PASSWORDS[login], "cal" + uuid.uuid4().hex[:10], version,
                  device_type=device_type)
    d.provision()
    return d


def cli(server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_binary(), "admin", "--url", server.admin_url.rsplit("/admin", 1)[0], "--token", server.token, *args],
        capture_output=True, text=True, timeout=30,
    )


def calendars(d: RawDevice) -> list[tuple[str, str, str]]:
    r = d.folder_sync("0")
    assert r.text("Status") == "1", r.raw
    return [(a.findtext("ServerId"), a.findtext("Type"), a.findtext("DisplayName"))
            for a in r.xml.findall("Changes/Add") if a.findtext("Type") in ("8", "13")]


def default_calendar(d: RawDevice) -> str:
    ids = [i for i, t, _ in calendars(d) if t == "8"]
    assert len(ids) == 1 and ids[0].startswith("cal:"), ids
    return ids[0]


def sync(d: RawDevice, coll: str, key: str, commands: str = "", filter_type: str = "0") -> Reply:
    options = "" if key == "0" else (
        f"<GetChanges/><WindowSize>100</WindowSize><Options><FilterType>{filter_type}</FilterType>"
        "<A:BodyPreference><A:Type>1</A:Type></A:BodyPreference></Options>")
    cmds = f"<Commands>{commands}</Commands>" if commands else ""
    r = d.post("Sync", lw(f"<Sync {NS}><Collections><Collection><SyncKey>{key}</SyncKey>"
                          f"<CollectionId>{coll}</CollectionId>{options}{cmds}</Collection></Collections></Sync>"))
    assert r.status == 200, r.status
    if r.xml is not None:
        spec_names(r.xml)
    return r


def primed(d: RawDevice, coll: str, filter_type: str = "0") -> tuple[str, Reply]:
    r = sync(d, coll, "0")
    assert r.text("Collections/Collection/Status") == "1", r.raw
    r = sync(d, coll, r.text("Collections/Collection/SyncKey"), filter_type=filter_type)
    return r.text("Collections/Collection/SyncKey"), r


def items(r: Reply, kind: str = "Add") -> dict[str, object]:
    return {c.findtext("ServerId"): c.find("ApplicationData")
            for c in r.xml.findall(f"Collections/Collection/Commands/{kind}")}


def add_response(r: Reply):
    resp = r.xml.find("Collections/Collection/Responses/Add")
    assert resp is not None, r.raw
    return resp


def times(version: str, start: str, end: str) -> str:
    return f"<C:StartTime>{start}</C:StartTime><C:EndTime>{end}</C:EndTime>"


def weekly_series(version: str, subject: str) -> str:
    """Tuesdays 09:00-10:00 Paris from 2026-12-01, ten times; at 14.1 with the moved (8 Dec to
    11:00) and the deleted (15 Dec) occurrences as Exceptions."""
    body = (f"<C:Timezone>{PARIS}</C:Timezone><C:AllDayEvent>0</C:AllDayEvent>"
            f"<C:Subject>{subject}</C:Subject>"
            + times(version, "20261201T080000Z", "20261201T090000Z")
            + "<C:BusyStatus>2</C:BusyStatus><C:Sensitivity>0</C:Sensitivity><C:Reminder>15</C:Reminder>"
            "<C:Recurrence><C:Type>1</C:Type><C:Interval>1</C:Interval><C:Occurrences>10</C:Occurrences>"
            "<C:DayOfWeek>4</C:DayOfWeek><C:FirstDayOfWeek>1</C:FirstDayOfWeek></C:Recurrence>")
    if version == "14.1":
        body = body.replace("<C:Subject>", f"<C:UID>{uuid.uuid4()}</C:UID><C:Subject>", 1)
        body += ("<C:Exceptions>"
                 "<C:Exception><C:ExceptionStartTime>20261208T080000Z</C:ExceptionStartTime>"
                 "<C:StartTime>20261208T100000Z</C:StartTime><C:EndTime>20261208T110000Z</C:EndTime>"
                 "</C:Exception>"
                 "<C:Exception><C:ExceptionStartTime>20261215T080000Z</C:ExceptionStartTime>"
                 "<C:Deleted>1</C:Deleted></C:Exception>"
                 "</C:Exceptions>")
    return body


def exceptions_of(data) -> dict[str, dict[str, str]]:
    """Each exception by its original start (ExceptionStartTime, or InstanceId at 16.x)."""
    out = {}
    for ex in data.findall("Exceptions/Exception"):
        key = ex.findtext("ExceptionStartTime") or ex.findtext("InstanceId")
        out[key] = {c.tag: (c.text or "") for c in ex}
    return out


@pytest.mark.parametrize("version", ["14.1", "16.1"])
def test_a_weekly_series_with_a_moved_and_a_deleted_occurrence_is_the_same_on_another_phone_and_in_the_export(server, version):
    one, two = device(server, version), device(server, version)
    coll = default_calendar(one)
    assert default_calendar(two) == coll
    key, _ = primed(one, coll)
    key2, _ = primed(two, coll)
    subject = f"Standup {version} {uuid.uuid4().hex[:6]}"
    client_uid = uuid.uuid4().hex
    extra = f"<C:ClientUid>{client_uid}</C:ClientUid>" if version == "16.1" else ""
    r = sync(one, coll, key, f"<Add><ClientId>s1</ClientId><ApplicationData>{weekly_series(version, subject)}{extra}"
                             "</ApplicationData></Add>")
    resp = add_response(r)
    assert resp.findtext("Status") == "1", r.raw
    sid = resp.findtext("ServerId")
    key = r.text("Collections/Collection/SyncKey")
    if version == "16.1":
        # MS-ASCAL 2.2.2.46: the server made the UID and says it in the Add response.
        assert resp.findtext("ApplicationData/UID"), r.raw
        # MS-ASCMD 2.2.3.24: one occurrence moved by InstanceId, another deleted.
        r = sync(one, coll, key,
                 f"<Change><ServerId>{sid}</ServerId><A:InstanceId>20261208T080000Z</A:InstanceId><ApplicationData>"
                 "<C:StartTime>20261208T100000Z</C:StartTime><C:EndTime>20261208T110000Z</C:EndTime>"
                 "</ApplicationData></Change>"
                 f"<Delete><ServerId>{sid}</ServerId><A:InstanceId>20261215T080000Z</A:InstanceId></Delete>")
        assert r.text("Collections/Collection/Status") == "1", r.raw
        assert r.xml.find("Collections/Collection/Responses") is None, r.raw
        key = r.text("Collections/Collection/SyncKey")
    r = sync(two, coll, key2)
    key2 = r.text("Collections/Collection/SyncKey")
    got = items(r)
    assert sid in got, r.raw
    data = got[sid]
    assert data.findtext("Subject") == subject
    assert data.findtext("StartTime") == "20261201T080000Z" and data.findtext("EndTime") == "20261201T090000Z"
    assert data.findtext("Timezone"), "a timed series carries its zone"
    assert data.findtext("Recurrence/Type") == "1" and data.findtext("Recurrence/Occurrences") == "10"
    assert data.findtext("Recurrence/DayOfWeek") == "4"
    ex = exceptions_of(data)
    assert ex["20261208T080000Z"].get("StartTime") == "20261208T100000Z", ex
    assert ex["20261215T080000Z"].get("Deleted") == "1", ex
    assert len(ex) == 2, ex
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "out.ics"
        r = cli(server, "calendar", "export", USER, str(out))
        assert r.returncode == 0, r.stderr
        text = out.read_text()
    assert f"SUMMARY:{subject}" in text, text
    assert "RRULE:FREQ=WEEKLY" in text and "COUNT=10" in text
    assert "EXDATE" in text and "RECURRENCE-ID" in text
    # The blob names a rule, not a city: any zone with Paris's rules (Berlin's are the same) is
    # right, and the series stays at 09:00 local time in it.
    assert re.search(r"DTSTART;TZID=Europe/[A-Za-z]+:20261201T090000", text), text
    assert re.search(r"RECURRENCE-ID;TZID=Europe/[A-Za-z]+:20261208T090000", text), text
    # The series deleted on one phone goes away on the other.
    r = sync(one, coll, key, f"<Delete><ServerId>{sid}</ServerId></Delete>")
    assert r.text("Collections/Collection/Status") == "1", r.raw
    r = sync(two, coll, key2)
    deleted = [d.findtext("ServerId") for d in r.xml.findall("Collections/Collection/Commands/Delete")]
    assert deleted == [sid], r.raw


@pytest.mark.parametrize("version", ["14.1", "16.1"])
def test_all_day_events_of_one_and_three_days_keep_their_dates(server, version):
    one, two = device(server, version), device(server, version)
    coll = default_calendar(one)
    key, _ = primed(one, coll)
    key2, _ = primed(two, coll)
    # MS-ASCAL R2005 to R2008: at 16.x dates without a time and no Timezone; up to 14.1 the
    # local midnights of the event's zone (the server's users are in UTC here).
    if version == "16.1":
        one_day = "<C:StartTime>20261210T000000Z</C:StartTime><C:EndTime>20261211T000000Z</C:EndTime>"
        three_days = "<C:StartTime>20261221T000000Z</C:StartTime><C:EndTime>20261224T000000Z</C:EndTime>"
        zone = ""
    else:
        one_day = "<C:StartTime>20261209T230000Z</C:StartTime><C:EndTime>20261210T230000Z</C:EndTime>"
        three_days = "<C:StartTime>20261220T230000Z</C:StartTime><C:EndTime>20261223T230000Z</C:EndTime>"
        zone = f"<C:Timezone>{PARIS}</C:Timezone>"
    adds = "".join(
        f"<Add><ClientId>d{i}</ClientId><ApplicationData>{zone}<C:AllDayEvent>1</C:AllDayEvent>"
        f"<C:Subject>{name}</C:Subject>{when}</ApplicationData></Add>"
        for i, (name, when) in enumerate([(f"Holiday {version}", one_day), (f"Trip {version}", three_days)]))
    r = sync(one, coll, key, adds)
    ids = [a.findtext("ServerId") for a in r.xml.findall("Collections/Collection/Responses/Add")]
    assert len(ids) == 2 and all(ids), r.raw
    r = sync(two, coll, key2)
    got = items(r)
    holiday, trip = got[ids[0]], got[ids[1]]
    assert holiday.findtext("AllDayEvent") == "1" and trip.findtext("AllDayEvent") == "1"
    if version == "16.1":
        assert holiday.find("Timezone") is None, "no Timezone with an all-day event at 16.x (R2006)"
        assert (holiday.findtext("StartTime"), holiday.findtext("EndTime")) == ("20261210T000000Z", "20261211T000000Z")
        assert (trip.findtext("StartTime"), trip.findtext("EndTime")) == ("20261221T000000Z", "20261224T000000Z")
    else:
        # The phone sent Paris midnights; the dates are 10 December and 21 to 23 December, which go
        # out at the midnights of the users' zone (UTC), EndTime the midnight after the last day.
        assert (holiday.findtext("StartTime"), holiday.findtext("EndTime")) == ("20261210T000000Z", "20261211T000000Z")
        assert (trip.findtext("StartTime"), trip.findtext("EndTime")) == ("20261221T000000Z", "20261224T000000Z")
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "out.ics"
        assert cli(server, "calendar", "export", USER, str(out)).returncode == 0
        text = out.read_text()
    assert "DTSTART;VALUE=DATE:20261221" in text and "DTEND;VALUE=DATE:20261224" in text, text


def test_a_retried_client_uid_adds_nothing_and_a_subject_change_keeps_the_rest_at_16_1(server):
    d = device(server, "16.1")
    coll = default_calendar(d)
    key, _ = primed(d, coll)
    client_uid = uuid.uuid4().hex
    add = (f"<Add><ClientId>r1</ClientId><ApplicationData><C:Timezone>{PARIS}</C:Timezone>"
           "<C:AllDayEvent>0</C:AllDayEvent><C:Subject>Dentist</C:Subject>"
           "<C:StartTime>20261203T140000Z</C:StartTime><C:EndTime>20261203T150000Z</C:EndTime>"
           "<A:Location><A:DisplayName>Rue de Rivoli 1</A:DisplayName></A:Location>"
           "<C:Reminder>30</C:Reminder><C:BusyStatus>2</C:BusyStatus><C:Sensitivity>2</C:Sensitivity>"
           f"<C:Categories><C:Category>Health</C:Category></C:Categories><C:ClientUid>{client_uid}</C:ClientUid>"
           "</ApplicationData></Add>")
    r = sync(d, coll, key, add)
    first = add_response(r)
    key = r.text("Collections/Collection/SyncKey")
    # The phone never got the answer and sends the Add again with a new ClientId in a new
    # request: the ClientUid finds the first event (MS-ASCAL 2.2.2.13).
    r = sync(d, coll, key, add.replace("<ClientId>r1</ClientId>", "<ClientId>r2</ClientId>"))
    second = add_response(r)
    key = r.text("Collections/Collection/SyncKey")
    assert second.findtext("ServerId") == first.findtext("ServerId"), r.raw
    assert second.findtext("ApplicationData/UID") == first.findtext("ApplicationData/UID")
    sid = first.findtext("ServerId")
    # At 16.x every property is ghosted (MS-ASCAL 3.1.5.3): a Change of the subject alone keeps
    # the rest.
    r = sync(d, coll, key, f"<Change><ServerId>{sid}</ServerId><ApplicationData>"
                           "<C:Subject>Dentist (moved room)</C:Subject></ApplicationData></Change>")
    assert r.text("Collections/Collection/Status") == "1", r.raw
    other = device(server, "16.1")
    _, r = primed(other, coll)
    data = items(r)[sid]
    assert data.findtext("Subject") == "Dentist (moved room)"
    assert data.findtext("Location/DisplayName") == "Rue de Rivoli 1"
    assert (data.findtext("Reminder"), data.findtext("BusyStatus"), data.findtext("Sensitivity")) == ("30", "2", "2")
    assert data.findtext("Categories/Category") == "Health"
    assert data.findtext("StartTime") == "20261203T140000Z"
    assert sum(1 for x in items(r).values() if x.findtext("Subject", "").startswith("Dentist")) == 1


@pytest.mark.parametrize("version", ["14.1", "16.1"])
def test_filtertype_4_keeps_a_yearly_series_from_three_years_ago_and_1_is_refused(server, version):
    d = device(server, version)
    coll = default_calendar(d)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "in.ics"
        uid = f"birthday-{version}-{uuid.uuid4().hex[:6]}@example.org"
        path.write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20230101T000000Z\r\nDTSTART;VALUE=DATE:20231004\r\nDTEND;VALUE=DATE:20231005\r\n"
            "RRULE:FREQ=YEARLY\r\nSUMMARY:Old yearly\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\n"
            f"UID:old-{uid}\r\nDTSTAMP:20230101T000000Z\r\nDTSTART:20230301T100000Z\r\nDTEND:20230301T110000Z\r\n"
            "SUMMARY:Long past\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        r = cli(server, "calendar", "import", USER, str(path))
        assert r.returncode == 0, r.stderr + r.stdout
    r = sync(d, coll, "0")
    key = r.text("Collections/Collection/SyncKey")
    # MS-ASCMD 2.2.3.68.2 (R3045): FilterType 1 is not for calendars.
    r = sync(d, coll, key, filter_type="1")
    assert r.text("Collections/Collection/Status") == "4", r.raw
    r = sync(d, coll, key, filter_type="4")
    assert r.text("Collections/Collection/Status") == "1", r.raw
    subjects = [x.findtext("Subject") for x in items(r).values()]
    assert "Old yearly" in subjects, "a series with no end is in every window (R2971)"
    assert "Long past" not in subjects
    yearly = next(sid for sid, x in items(r).items() if x.findtext("Subject") == "Old yearly")
    # Widening the window to all items brings the past event; narrowing it again takes it off the
    # phone with SoftDelete (MS-ASCMD 2.2.3.157, R3964), and the series stays.
    r = sync(d, coll, r.text("Collections/Collection/SyncKey"), filter_type="0")
    past = next(sid for sid, x in items(r).items() if x.findtext("Subject") == "Long past")
    r = sync(d, coll, r.text("Collections/Collection/SyncKey"), filter_type="4")
    assert r.text("Collections/Collection/Status") == "1", r.raw
    soft = [c.findtext("ServerId") for c in r.xml.findall("Collections/Collection/Commands/SoftDelete")]
    assert past in soft and yearly not in soft, r.raw
    est = d.post("GetItemEstimate",
                 '<GetItemEstimate xmlns="GetItemEstimate:" xmlns:S="AirSync:"><Collections><Collection>'
                 f'<S:SyncKey>{r.text("Collections/Collection/SyncKey")}</S:SyncKey><CollectionId>{coll}</CollectionId>'
                 '<S:Options><S:FilterType>2</S:FilterType></S:Options></Collection></Collections></GetItemEstimate>')
    assert est.text("Response/Status") == "110", est.raw


def test_a_shared_calendar_is_offered_to_an_iphone_not_to_an_android_phone_and_its_owners_change_wakes_the_iphone(server):
    r = cli(server, "calendar", "share", OTHER, USER, "--access", "read")
    assert r.returncode == 0, r.stderr + r.stdout
    iphone = device(server, "16.1", device_type="iPhone")
    android = device(server, "16.1", device_type="Android")
    shared = [c for c in calendars(iphone) if c[1] == "13"]
    assert len(shared) == 1, calendars(iphone)
    assert not [c for c in calendars(android) if c[1] == "13"]
    coll = shared[0][0]
    key, _ = primed(iphone, coll)
    woke = {}

    def hold():
        woke["r"] = iphone.post("Ping", '<Ping xmlns="Ping:"><HeartbeatInterval>120</HeartbeatInterval><Folders>'
                                        f'<Folder><Id>{coll}</Id><Class>Calendar</Class></Folder></Folders></Ping>')

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(1.0)
    owner = device(server, "16.1", login=OTHER)
    own = default_calendar(owner)
    okey, _ = primed(owner, own)
    r = sync(owner, own, okey, "<Add><ClientId>o1</ClientId><ApplicationData>"
                               "<C:Subject>Board meeting</C:Subject><C:StartTime>20261211T090000Z</C:StartTime>"
                               "<C:EndTime>20261211T100000Z</C:EndTime></ApplicationData></Add>")
    sid = add_response(r).findtext("ServerId")
    t.join(timeout=110)
    assert woke["r"].text("Status") == "2", woke["r"].raw
    assert [f.text for f in woke["r"].xml.findall("Folders/Folder")] == [coll]
    r = sync(iphone, coll, key)
    key = r.text("Collections/Collection/SyncKey")
    assert items(r)[sid].findtext("Subject") == "Board meeting"
    # Read-only: the iPhone's change is refused and the original comes back.
    r = sync(iphone, coll, key, f"<Change><ServerId>{sid}</ServerId><ApplicationData>"
                                "<C:Subject>Hijacked</C:Subject></ApplicationData></Change>")
    assert r.xml.findtext("Collections/Collection/Responses/Change/Status") == "7", r.raw
    assert items(r, "Change")[sid].findtext("Subject") == "Board meeting"
    # The administrator's choices: off for the user hides it from the iPhone too; on for the
    # Android phone itself wins over the user's setting.
    assert cli(server, "users", "shared-calendars", USER, "off").returncode == 0
    assert not [c for c in calendars(iphone) if c[1] == "13"]
    r = cli(server, "devices", "shared-calendars", USER, android.device_id, "on")
    assert r.returncode == 0, r.stderr + r.stdout
    assert [c[0] for c in calendars(android) if c[1] == "13"] == [coll]
    assert cli(server, "users", "shared-calendars", USER, "default").returncode == 0
    assert cli(server, "devices", "shared-calendars", USER, android.device_id, "default").returncode == 0
    assert [c[0] for c in calendars(iphone) if c[1] == "13"] == [coll]
    # The user removes the shared calendar on the iPhone: FolderDelete leaves the share, the
    # owner keeps the calendar and its event.
    hkey = iphone.folder_sync("0").text("SyncKey")
    r = iphone.post("FolderDelete", f'<FolderDelete xmlns="FolderHierarchy:"><SyncKey>{hkey}</SyncKey>'
                                    f"<ServerId>{coll}</ServerId></FolderDelete>")
    assert r.text("Status") == "1", r.raw
    assert not [c for c in calendars(iphone) if c[1] == "13"]
    _, r = primed(owner, own)
    assert items(r)[sid].findtext("Subject") == "Board meeting"
    r = cli(server, "calendar", "shares", OTHER)
    assert r.returncode == 0 and USER not in r.stdout, r.stdout


@pytest.mark.parametrize("version", ["14.1", "16.1"])
def test_a_calendar_created_on_the_phone_holds_events_and_a_held_ping_wakes_for_an_import(server, version):
    d = device(server, version)
    fs = d.folder_sync("0")
    hkey = fs.text("SyncKey")
    name = f"Family {version} {uuid.uuid4().hex[:4]}"
    r = d.post("FolderCreate", f'<FolderCreate xmlns="FolderHierarchy:"><SyncKey>{hkey}</SyncKey>'
                               f"<ParentId>0</ParentId><DisplayName>{name}</DisplayName><Type>13</Type></FolderCreate>")
    assert r.text("Status") == "1", r.raw
    family = r.text("ServerId")
    assert family.startswith("cal:"), family
    hkey = r.text("SyncKey")
    key, _ = primed(d, family)
    r = sync(d, family, key, "<Add><ClientId>f1</ClientId><ApplicationData><C:Subject>School play</C:Subject>"
                             "<C:StartTime>20261212T170000Z</C:StartTime><C:EndTime>20261212T190000Z</C:EndTime>"
                             "</ApplicationData></Add>")
    sid = add_response(r).findtext("ServerId")
    assert sid, r.raw
    key = r.text("Collections/Collection/SyncKey")
    other = device(server, version)
    assert [c for c in calendars(other) if c[0] == family] == [(family, "13", name)]
    _, r = primed(other, family)
    assert items(r)[sid].findtext("Subject") == "School play"
    # A Ping held on the new calendar wakes when the administrator imports into it.
    woke = {}

    def hold():
        woke["r"] = d.post("Ping", '<Ping xmlns="Ping:"><HeartbeatInterval>120</HeartbeatInterval><Folders>'
                                   f'<Folder><Id>{family}</Id><Class>Calendar</Class></Folder></Folders></Ping>')

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(1.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "in.ics"
        path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
                        f"UID:{uuid.uuid4()}@example.org\r\nDTSTAMP:20261201T000000Z\r\n"
                        "DTSTART:20261219T100000Z\r\nDTEND:20261219T110000Z\r\nSUMMARY:Imported\r\n"
                        "END:VEVENT\r\nEND:VCALENDAR\r\n")
        r = cli(server, "calendar", "import", USER, str(path), "--folder", family)
        assert r.returncode == 0, r.stderr + r.stdout
    t.join(timeout=110)
    assert woke["r"].text("Status") == "2", woke["r"].raw
    r = sync(d, family, key)
    assert [x.findtext("Subject") for x in items(r).values()] == ["Imported"]
    # The calendar the phone made goes with its events.
    r = d.post("FolderDelete", f'<FolderDelete xmlns="FolderHierarchy:"><SyncKey>{hkey}</SyncKey>'
                               f"<ServerId>{family}</ServerId></FolderDelete>")
    assert r.text("Status") == "1", r.raw
    assert not [c for c in calendars(other) if c[0] == family]


def test_a_users_own_time_zone_places_their_all_day_events_and_free_busy(server):
    """An administrator sets a user's zone (`eas-server admin users time-zone`): at 14.1 the
    user's all-day events go out at Paris midnights, at 16.1 still as dates, and free/busy counts
    the day in Paris; `default` returns to the server's zone (UTC here)."""
    address = f"tz{uuid.uuid4().hex[:6]}@example.loc"
    password = "tz-pass-1"
    r = cli(server, "users", "add", address, "--name", "Zoe Tz", "--password", password)
    assert r.returncode == 0, r.stderr + r.stdout
    r = cli(server, "users", "time-zone", address, "Mars/Olympus")
    assert r.returncode != 0 and "time_zone" in (r.stderr + r.stdout), r.stderr + r.stdout
    r = cli(server, "users", "time-zone", address, "Europe/Paris", "--first-day-of-week", "1")
    assert r.returncode == 0, r.stderr + r.stdout
    assert '"Europe/Paris"' in r.stdout, r.stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "in.ics"
        path.write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            "UID:holiday-tz@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261210\r\n"
            "DTEND;VALUE=DATE:20261211\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\n"
            # A floating time (no TZID) is the user's local time: 09:00 in Paris.
            "BEGIN:VEVENT\r\nUID:floating-tz@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
            "DTSTART:20261211T090000\r\nDTEND:20261211T100000\r\nSUMMARY:Local\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n")
        r = cli(server, "calendar", "import", address, str(path))
        assert r.returncode == 0, r.stderr + r.stdout

    def holiday(version: str):
        d = RawDevice(server.eas_url, address, password, "tz" + uuid.uuid4().hex[:10], version)
        d.provision()
        _, r = primed(d, default_calendar(d))
        (data,) = [x for x in items(r).values() if x.findtext("Subject") == "Holiday"]
        return d, data

    # MS-ASCAL R2005/R2008: up to 14.1 an all-day event is the local midnights of the user's zone.
    _, data = holiday("14.1")
    assert (data.findtext("StartTime"), data.findtext("EndTime")) == ("20261209T230000Z", "20261210T230000Z")
    assert data.findtext("AllDayEvent") == "1"
    d, data = holiday("16.1")
    assert (data.findtext("StartTime"), data.findtext("EndTime")) == ("20261210T000000Z", "20261211T000000Z")
    _, r = primed(d, default_calendar(d))
    (local,) = [x for x in items(r).values() if x.findtext("Subject") == "Local"]
    assert local.findtext("StartTime") == "20261211T080000Z", "09:00 in Paris"
    # Free/busy of the user, asked by another: 10 December in Paris is 23:00 UTC on the 9th to
    # 23:00 UTC on the 10th, so the two half hours from 22:30 on the 9th are free then busy.
    asker = device(server, "14.1")
    rr = asker.post(
        "ResolveRecipients",
        f'<ResolveRecipients xmlns="ResolveRecipients:"><To>{address}</To><Options><Availability>'
        "<StartTime>2026-12-09T22:30:00.000Z</StartTime><EndTime>2026-12-09T23:30:00.000Z</EndTime>"
        "</Availability></Options></ResolveRecipients>")
    assert rr.text("Response/Recipient/Availability/Status") == "1", rr.raw
    assert rr.text("Response/Recipient/Availability/MergedFreeBusy") == "02", rr.raw
    # Back to the server's zone (UTC): the dates go out at UTC midnights again.
    r = cli(server, "users", "time-zone", address, "default")
    assert r.returncode == 0, r.stderr + r.stdout
    _, data = holiday("14.1")
    assert (data.findtext("StartTime"), data.findtext("EndTime")) == ("20261210T000000Z", "20261211T000000Z")


# pyactivesync has no Calendar code page (MS-ASWBXML page 4): its reader names those tags by
# page and token.
# Its items are flat {tag: text} maps, so an exception's StartTime hides the series'.
PYAS_SUBJECT, PYAS_TYPE, PYAS_OCCURRENCES, PYAS_DAY = "page4.0x26", "page4.0x1C", "page4.0x1E", "page4.0x20"


@pytest.mark.parametrize("version", ["14.1", "16.1"])
def test_pyactivesync_reads_a_series_made_on_another_phone_and_manages_a_calendar_of_its_own(server, version, monkeypatch):
    """The independent client pyactivesync, at 14.1 and 16.1: the weekly series the raw client
    made syncs to it and fetches with ItemOperations, GetItemEstimate counts it, and a calendar
    it creates (type 13, raw number: its FolderType is one off) holds the raw client's event and
    goes with FolderDelete."""
    import pyactivesync._http as pyas_http
    from pyactivesync import Client

    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", version)
    d = device(server, version, login=OTHER)
    coll = default_calendar(d)
    key, _ = primed(d, coll)
    subject = f"Standup pyactivesync {version} {uuid.uuid4().hex[:6]}"
    r = sync(d, coll, key, f"<Add><ClientId>p1</ClientId><ApplicationData>{weekly_series(version, subject)}"
                           "</ApplicationData></Add>")
    sid = add_response(r).findtext("ServerId")
    key = r.text("Collections/Collection/SyncKey")
    c = Client(server=server.host_port, username=OTHER, password=DEMO_PASSWORDS[OTHER],
               device_id="pyc" + uuid.uuid4().hex[:10])
    c._transport.base_url = server.eas_url
    with c:
        folders = {f.id: int(f.type) for f in c.list_folders()}
        assert folders[coll] == 8, folders
        first = c.sync_folder(coll, "0")
        assert c.get_item_estimate(coll, first.sync_key) >= 1
        got = c.sync_folder(coll, first.sync_key, window_size=100)
        mine = [i for i in got.added if i.server_id == sid]
        assert len(mine) == 1, [i.server_id for i in got.added]
        assert mine[0].fields[PYAS_SUBJECT] == subject
        # Weekly on Tuesdays, ten times.
        fields = mine[0].fields
        assert (fields[PYAS_TYPE], fields[PYAS_OCCURRENCES], fields[PYAS_DAY]) == ("1", "10", "4"), fields
        fetched = c.fetch_item(coll, sid)
        assert fetched.fields[PYAS_SUBJECT] == subject
        # A calendar of its own (type 13); the raw client's FolderSync shows it and can fill it.
        made = c.create_folder(f"Trips {version}", type=13)
        assert (made.id, "13", f"Trips {version}") in calendars(d)
        tkey, _ = primed(d, made.id)
        r = sync(d, made.id, tkey, "<Add><ClientId>t1</ClientId><ApplicationData>"
                                   f"<C:Subject>Flight {version}</C:Subject>"
                                   + times(version, "20261220T070000Z", "20261220T090000Z")
                                   + "</ApplicationData></Add>")
        assert add_response(r).findtext("Status") == "1", r.raw
        trip = c.sync_folder(made.id, c.sync_folder(made.id, "0").sync_key)
        assert [i.fields[PYAS_SUBJECT] for i in trip.added] == [f"Flight {version}"]
        c.delete_folder(made.id)
        assert made.id not in [i for i, _, _ in calendars(d)]


def attachment_add(client_id: str, name: str, payload: bytes) -> str:
    """An `airsyncbase:Attachments/Add` (MS-ASAIRS 2.2.2.2); libwbxml reads Content's text as
    base64 and writes the bytes as opaque data, as a phone does."""
    return ("<A:Attachments><A:Add>"
            f"<A:ClientId>{client_id}</A:ClientId><A:Method>1</A:Method>"
            "<A:ContentType>text/plain</A:ContentType>"
            f"<A:Content>{base64.b64encode(payload).decode()}</A:Content>"
            f"<A:DisplayName>{name}</A:DisplayName>"
            "</A:Add></A:Attachments>")


def fetch_attachment(d: RawDevice, file_reference: str, byte_range: str | None = None):
    """ItemOperations Fetch by FileReference (MS-ASCMD 2.2.3.67.1): the Fetch element."""
    options = f"<Options><Range>{byte_range}</Range></Options>" if byte_range else ""
    r = d.post("ItemOperations",
               '<ItemOperations xmlns="ItemOperations:" xmlns:A="AirSyncBase:"><Fetch><Store>Mailbox</Store>'
               f"<A:FileReference>{file_reference}</A:FileReference>{options}</Fetch></ItemOperations>")
    assert r.status == 200 and r.text("Status") == "1", r.raw
    return r.xml.find("Response/Fetch")


def test_an_attachment_added_at_16_1_is_fetched_on_another_phone_and_its_delete_reaches_it(server):
    one, two = device(server, "16.1"), device(server, "16.1")
    coll = default_calendar(one)
    key, _ = primed(one, coll)
    key2, _ = primed(two, coll)
    payload = bytes(range(256)) * 40 + b"the end"
    subject = f"Review {uuid.uuid4().hex[:6]}"
    r = sync(one, coll, key, "<Add><ClientId>v1</ClientId><ApplicationData>"
                             f"<C:Subject>{subject}</C:Subject>"
                             "<C:StartTime>20261214T090000Z</C:StartTime><C:EndTime>20261214T100000Z</C:EndTime>"
                             + attachment_add("att-1", "agenda.bin", payload) + "</ApplicationData></Add>")
    resp = add_response(r)
    assert resp.findtext("Status") == "1", r.raw
    sid = resp.findtext("ServerId")
    key = r.text("Collections/Collection/SyncKey")
    # MS-ASAIRS R1082, R1324 to R1326: the ClientId answered with the server's FileReference.
    answered = resp.findall("ApplicationData/Attachments/Attachment")
    assert [a.findtext("ClientId") for a in answered] == ["att-1"], r.raw
    ref = answered[0].findtext("FileReference")
    assert ref and ref.startswith("cal:att:"), r.raw

    # The other phone sees the attachment and fetches its bytes, whole and a range.
    r = sync(two, coll, key2)
    key2 = r.text("Collections/Collection/SyncKey")
    data = items(r)[sid]
    atts = data.findall("Attachments/Attachment")
    assert len(atts) == 1, r.raw
    att = atts[0]
    assert (att.findtext("DisplayName"), att.findtext("FileReference"), att.findtext("Method"),
            att.findtext("EstimatedDataSize")) == ("agenda.bin", ref, "1", str(len(payload)))
    assert att.find("ClientId") is None
    whole = fetch_attachment(two, ref)
    assert whole.findtext("Status") == "1"
    assert base64.b64decode(whole.findtext("Properties/Data")) == payload
    part = fetch_attachment(two, ref, "10-19")
    assert part.findtext("Status") == "1"
    assert (part.findtext("Properties/Range"), part.findtext("Properties/Total")) == ("10-19", str(len(payload)))
    assert base64.b64decode(part.findtext("Properties/Data")) == payload[10:20]
    # MS-ASCMD 2.2.3.177.8: a range past the end is 8; an unknown or foreign reference 15.
    assert fetch_attachment(two, ref, f"{len(payload)}-{len(payload) + 9}").findtext("Status") == "8"
    assert fetch_attachment(two, "cal:att:" + "0" * 32).findtext("Status") == "15"
    stranger = device(server, "16.1", login=OTHER)
    assert fetch_attachment(stranger, ref).findtext("Status") == "15"

    # At 14.1 calendar items carry no attachments: the same event syncs without them.
    old = device(server, "14.1")
    _, r = primed(old, coll)
    assert items(r)[sid].find("Attachments") is None, r.raw
    assert items(r)[sid].findtext("Subject") == subject

    # A Change that adds an attachment: the event comes back with its FileReference (a Change
    # response has no ApplicationData to say it in).
    r = sync(one, coll, key, f"<Change><ServerId>{sid}</ServerId><ApplicationData>"
                             + attachment_add("att-2", "minutes.txt", b"minutes") + "</ApplicationData></Change>")
    assert r.text("Collections/Collection/Status") == "1", r.raw
    assert r.xml.find("Collections/Collection/Responses") is None, r.raw
    key = r.text("Collections/Collection/SyncKey")
    echoed = items(r, "Change")[sid].findall("Attachments/Attachment")
    names = {a.findtext("DisplayName"): a.findtext("FileReference") for a in echoed}
    assert set(names) == {"agenda.bin", "minutes.txt"} and names["agenda.bin"] == ref, r.raw
    assert base64.b64decode(fetch_attachment(two, names["minutes.txt"]).findtext("Properties/Data")) == b"minutes"

    # The first phone deletes the first attachment; the second phone sees it gone.
    r = sync(one, coll, key, f"<Change><ServerId>{sid}</ServerId><ApplicationData><A:Attachments><A:Delete>"
                             f"<A:FileReference>{ref}</A:FileReference></A:Delete></A:Attachments>"
                             "</ApplicationData></Change>")
    assert r.text("Collections/Collection/Status") == "1", r.raw
    assert r.xml.find("Collections/Collection/Responses") is None, r.raw
    key = r.text("Collections/Collection/SyncKey")
    r = sync(two, coll, key2)
    changed = items(r, "Change")[sid]
    assert [a.findtext("DisplayName") for a in changed.findall("Attachments/Attachment")] == ["minutes.txt"], r.raw
    assert changed.findtext("Subject") == subject
    assert fetch_attachment(two, ref).findtext("Status") == "15"
    # Deleting it again names a FileReference the event no longer has: status 6.
    r = sync(one, coll, key, f"<Change><ServerId>{sid}</ServerId><ApplicationData><A:Attachments><A:Delete>"
                             f"<A:FileReference>{ref}</A:FileReference></A:Delete></A:Attachments>"
                             "</ApplicationData></Change>")
    assert r.xml.findtext("Collections/Collection/Responses/Change/Status") == "6", r.raw
    key = r.text("Collections/Collection/SyncKey")
    # An Add without its Content is an invalid item (status 6), and nothing is stored.
    r = sync(one, coll, key, "<Add><ClientId>v2</ClientId><ApplicationData><C:Subject>Broken</C:Subject>"
                             "<C:StartTime>20261215T090000Z</C:StartTime><C:EndTime>20261215T100000Z</C:EndTime>"
                             "<A:Attachments><A:Add><A:ClientId>att-3</A:ClientId><A:Method>1</A:Method>"
                             "<A:DisplayName>empty.txt</A:DisplayName></A:Add></A:Attachments>"
                             "</ApplicationData></Add>")
    resp = add_response(r)
    assert resp.findtext("Status") == "6" and resp.find("ServerId") is None, r.raw
