"""Regression tests of tests/xsd/validate.py, the XSD check every Rust and end-to-end suite relies
on: valid responses pass as XML and as WBXML, broken ones fail with a message naming the fault,
and a check that cannot run exits with 2 instead of passing."""
from __future__ import annotations

import importlib.util
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
VALIDATE = HERE / "validate.py"
REPO = HERE.parents[1]
# xml2wbxml picks the ActiveSync code pages from the document type.
DOCTYPE = '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">'


def load_validator():
    spec = importlib.util.spec_from_file_location("eas_xsd_validate", VALIDATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(command: str, *files, kind: str = "response", extra: tuple[str, ...] = ()):
    return subprocess.run(
        [sys.executable, str(VALIDATE), "--kind", kind, "--command", command, *extra, *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )


def write_xml(directory: pathlib.Path, name: str, xml: str) -> pathlib.Path:
    path = directory / f"{name}.xml"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + xml.strip() + "\n", encoding="utf-8")
    return path


def write_wbxml(directory: pathlib.Path, name: str, xml: str) -> pathlib.Path:
    """Encodes `xml` with libwbxml's xml2wbxml (a codec independent of the project's)."""
    assert shutil.which("xml2wbxml"), "xml2wbxml is missing: run scripts/install-test-deps.sh"
    source = directory / f"{name}.libwbxml.xml"
    source.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + DOCTYPE + "\n" + xml.strip() + "\n",
                      encoding="utf-8")
    path = directory / f"{name}.wbxml"
    enc = subprocess.run(["xml2wbxml", "-n", "-o", str(path), str(source)],
                         capture_output=True, text=True, timeout=60)
    assert enc.returncode == 0, f"xml2wbxml could not encode {name}: {enc.stdout}{enc.stderr}"
    assert path.read_bytes()[:1] == b"\x03"
    return path


# (command, name, document with MS-ASWBXML names, the same document as libwbxml spells it or None)
VALID = [
    ("Ping", "changes",
     '<Ping xmlns="Ping:"><Status>2</Status><Folders><Folder>5</Folder><Folder>6</Folder>'
     "</Folders></Ping>", None),
    ("FolderSync", "initial",
     """<FolderSync xmlns="FolderHierarchy:"><Status>1</Status><SyncKey>1</SyncKey><Changes>
        <Count>2</Count>
        <Add><ServerId>1</ServerId><ParentId>0</ParentId><DisplayName>Inbox</DisplayName><Type>2</Type></Add>
        <Add><ServerId>2</ServerId><ParentId>1</ParentId><DisplayName>Sub</DisplayName><Type>12</Type></Add>
        </Changes></FolderSync>""", None),
    ("Sync", "email-add",
     """<Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:base="AirSyncBase:"><Collections><Collection>
        <SyncKey>2</SyncKey><CollectionId>1</CollectionId><Status>1</Status>
        <Commands><Add><ServerId>1:1</ServerId><ApplicationData>
          <email:To>"A" &lt;a@example.org&gt;</email:To><email:From>b@example.org</email:From>
          <email:Subject>Hello</email:Subject><email:DateReceived>2026-01-02T03:04:05.000Z</email:DateReceived>
          <email:Importance>1</email:Importance><email:Read>0</email:Read>
          <base:Body><base:Type>1</base:Type><base:EstimatedDataSize>5</base:EstimatedDataSize>
            <base:Data>Hi yo</base:Data></base:Body>
          <email:MessageClass>IPM.Note</email:MessageClass>
        </ApplicationData></Add></Commands>
        </Collection></Collections></Sync>""", None),
    ("Settings", "user-information",
     """<Settings xmlns="Settings:"><Status>1</Status><UserInformation><Status>1</Status><Get>
        <EmailAddresses><SMTPAddress>a@example.org</SMTPAddress></EmailAddresses>
        </Get></UserInformation></Settings>""",
     """<Settings xmlns="Settings:"><Status>1</Status><UserInformation><Status>1</Status><Get>
        <EmailAddresses><SmtpAddress>a@example.org</SmtpAddress></EmailAddresses>
        </Get></UserInformation></Settings>"""),
    ("Search", "gal",
     """<Search xmlns="Search:" xmlns:gal="GAL:"><Status>1</Status><Response><Store><Status>1</Status>
        <Result><Properties><gal:DisplayName>Chris Gray</gal:DisplayName>
        <gal:EmailAddress>chris@example.org</gal:EmailAddress></Properties></Result>
        <Range>0-0</Range><Total>1</Total></Store></Response></Search>""",
     """<Search xmlns="Search:" xmlns:gal="Gal:"><Status>1</Status><Response><Store><Status>1</Status>
        <Result><Properties><gal:DisplayName>Chris Gray</gal:DisplayName>
        <gal:EmailAddress>chris@example.org</gal:EmailAddress></Properties></Result>
        <Range>0-0</Range><Total>1</Total></Store></Response></Search>"""),
]

# (command, name, document, text the validator's message must contain)
INVALID = [
    ("FolderSync", "missing-status",
     '<FolderSync xmlns="FolderHierarchy:"><SyncKey>1</SyncKey></FolderSync>',
     "Expected is ( {FolderHierarchy}Status )"),
    ("Ping", "wrong-order",
     '<Ping xmlns="Ping:"><Folders><Folder>5</Folder></Folders><Status>2</Status></Ping>',
     "Element '{Ping}Folders': This element is not expected"),
    ("Sync", "status-not-a-number",
     '<Sync xmlns="AirSync:"><Collections><Collection><SyncKey>2</SyncKey><CollectionId>1</CollectionId>'
     "<Status>one</Status></Collection></Collections></Sync>",
     "Element '{AirSync}Status': 'one' is not a valid value"),
    ("Sync", "ping-as-sync",
     '<Ping xmlns="Ping:"><Status>1</Status></Ping>',
     "the root element is {Ping}Ping, expected {AirSync}Sync"),
    ("Sync", "serverid-in-folderhierarchy",
     '<Sync xmlns="AirSync:" xmlns:fh="FolderHierarchy:"><Collections><Collection><SyncKey>2</SyncKey>'
     "<CollectionId>1</CollectionId><Status>1</Status><Commands><Delete><fh:ServerId>1:1</fh:ServerId>"
     "</Delete></Commands></Collection></Collections></Sync>",
     "Element '{FolderHierarchy}ServerId': This element is not expected"),
    ("MoveItems", "request-element-in-response",
     '<MoveItems xmlns="Move:"><Response><SrcMsgId>1:1</SrcMsgId><SrcFldId>1</SrcFldId>'
     "<Status>3</Status></Response></MoveItems>",
     "Element '{Move}SrcFldId': This element is not expected"),
    ("GetItemEstimate", "estimate-not-a-number",
     '<GetItemEstimate xmlns="GetItemEstimate:"><Response><Status>1</Status><Collection>'
     "<CollectionId>1</CollectionId><Estimate>many</Estimate></Collection></Response></GetItemEstimate>",
     "Element '{GetItemEstimate}Estimate': 'many' is not a valid value"),
]


@pytest.mark.parametrize("command,name,xml,libwbxml", VALID, ids=[f"{c}.{n}" for c, n, _, _ in VALID])
def test_a_valid_response_passes_as_xml_and_as_wbxml(tmp_path, command, name, xml, libwbxml):
    files = [write_xml(tmp_path, name, xml), write_wbxml(tmp_path, name, libwbxml or xml)]
    out = run(command, *files)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [f"ok {f}" for f in files]


@pytest.mark.parametrize("command,name,xml,expected", INVALID, ids=[f"{c}.{n}" for c, n, _, _ in INVALID])
@pytest.mark.parametrize("form", ["xml", "wbxml"])
def test_an_invalid_response_fails_with_a_message_naming_the_fault(tmp_path, command, name, xml, expected,
                                                                    form):
    path = (write_xml if form == "xml" else write_wbxml)(tmp_path, name, xml)
    out = run(command, path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.startswith(f"invalid {path}: "), out.stdout
    assert expected in out.stdout, out.stdout


def test_an_xml_error_names_its_line_and_a_wbxml_error_its_element_path(tmp_path):
    xml = '<Ping xmlns="Ping:">\n<Status>2</Status>\n<MaxFolders>lots</MaxFolders>\n</Ping>'
    out = run("Ping", write_xml(tmp_path, "p", xml), write_wbxml(tmp_path, "p", xml))
    assert out.returncode == 1
    xml_line, wbxml_line = out.stdout.splitlines()
    assert "(line 4, at /Ping:Ping/Ping:MaxFolders)" in xml_line, xml_line
    assert wbxml_line.endswith("(at /Ping:Ping/Ping:MaxFolders)"), wbxml_line


def test_a_truncated_wbxml_document_is_invalid(tmp_path):
    whole = write_wbxml(tmp_path, "ping", VALID[0][2]).read_bytes()
    cut = tmp_path / "cut.wbxml"
    cut.write_bytes(whole[: len(whole) - 3])
    out = run("Ping", cut)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"invalid {cut}: not decodable WBXML: wbxml2xml exited with" in out.stdout


def test_a_tag_token_the_decoder_does_not_know_is_invalid(tmp_path):
    # WBXML 1.3, public id 1, UTF-8, no string table; SWITCH_PAGE 0x19 (Find), then tag 0x05 with
    # content: libwbxml 0.11 has no code page 25.
    doc = tmp_path / "find.wbxml"
    doc.write_bytes(bytes([0x03, 0x01, 0x6A, 0x00, 0x00, 0x19, 0x45, 0x01]))
    out = run("Find", doc)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "a tag token libwbxml does not know" in out.stdout


def test_libwbxml_spellings_are_only_accepted_from_decoded_wbxml(tmp_path):
    command, name, _, libwbxml = VALID[3]
    out = run(command, write_xml(tmp_path, name, libwbxml))
    assert out.returncode == 1
    assert "Element '{Settings}SmtpAddress': This element is not expected" in out.stdout


@pytest.mark.parametrize("content,expected", [
    (b"", "empty file"),
    (b"<Ping xmlns='Ping:'><Status>1</Status>", "the document is not well-formed XML"),
    (b"not xml at all", "the document is not well-formed XML"),
])
def test_an_empty_or_malformed_file_is_invalid(tmp_path, content, expected):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    out = run("Ping", path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.startswith(f"invalid {path}: {expected}"), out.stdout


def test_a_batch_reports_every_file_in_order_and_fails_if_one_is_invalid(tmp_path):
    good = write_xml(tmp_path, "good", VALID[0][2])
    bad = write_xml(tmp_path, "bad", INVALID[1][2])
    missing = tmp_path / "missing.xml"
    out = run("Ping", good, bad, missing, good)
    assert out.returncode == 1
    lines = [line for line in out.stdout.splitlines() if not line.startswith(" ")]
    assert [line.split(":")[0] for line in lines] == [f"ok {good}", f"invalid {bad}", f"invalid {missing}",
                                                      f"ok {good}"]
    assert f"invalid {missing}: cannot read: No such file or directory" in out.stdout


@pytest.mark.parametrize("args,expected", [
    (("request", "Ping"), "only responses can be checked"),
    (("response", "Pong"), "unknown command 'Pong'"),
])
def test_a_check_that_cannot_run_exits_with_2(tmp_path, args, expected):
    kind, command = args
    out = run(command, write_xml(tmp_path, "ping", VALID[0][2]), kind=kind)
    assert out.returncode == 2, out.stdout + out.stderr
    assert expected in out.stderr
    assert out.stdout == ""


def test_missing_or_incomplete_schemas_exit_with_2(tmp_path):
    doc = write_xml(tmp_path, "ping", VALID[0][2])
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run("Ping", doc, extra=("--schemas", str(empty)))
    assert (out.returncode, out.stdout) == (2, "")
    assert "no .xsd files" in out.stderr
    # SyncResponse.xsd alone refers to AirSyncBase, Email and the other classes' namespaces.
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(HERE / "schemas" / "SyncResponse.xsd", partial)
    out = run("Sync", doc, extra=("--schemas", str(partial)))
    assert (out.returncode, out.stdout) == (2, "")
    assert "SyncResponse.xsd refers to namespace 'AirSyncBase', which no schema" in out.stderr
    # A schema set without the command's response element.
    shutil.copy(HERE / "schemas" / "PingResponse.xsd", empty)
    out = run("FolderSync", doc, extra=("--schemas", str(empty)))
    assert (out.returncode, out.stdout) == (2, "")
    assert "declares the FolderSync response element {FolderHierarchy}FolderSync" in out.stderr


def test_every_command_has_its_response_element_in_the_vendored_schemas():
    validator = load_validator()
    from lxml import etree

    validator.etree = etree
    _, declared = validator.compile_schemas(str(HERE / "schemas"))
    missing = [c for c, root in validator.ROOTS.items() if root not in declared]
    assert missing == []


def test_the_libwbxml_names_agree_with_the_codec_tests_table():
    """crates/wbxml/tests/wbxml/common/aliases.rs holds the same facts for the codec's libwbxml tests."""
    validator = load_validator()
    rust = (REPO / "crates/wbxml/tests/wbxml/common/aliases.rs").read_text(encoding="utf-8")
    tags_part, rest = rust.split("pub const NAMESPACE_ALIASES", 1)
    namespaces_part = rest.split("pub const UNKNOWN_TO_LIBWBXML", 1)[0]
    triple = re.compile(r'\(\s*"([^"]+)",\s*"([^"]+)",\s*"([^"]+)",?\s*\)')
    pair = re.compile(r'\(\s*"([^"]+)",\s*"([^"]+)",?\s*\)')
    rust_tags = {(ns, old, new) for ns, old, new in triple.findall(tags_part)}
    ours = {(ns, old, new) for ns, names in validator.LIBWBXML_TAGS.items() for old, new in names.items()}
    assert len(rust_tags) > 60
    assert ours == rust_tags
    assert validator.LIBWBXML_NAMESPACES == dict(pair.findall(namespaces_part))
