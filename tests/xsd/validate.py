#!/usr/bin/env python3
"""Checks Exchange ActiveSync response documents against Microsoft's XSDs (tests/xsd/schemas).

    validate.py --kind response --command CMD FILE...

Each FILE is WBXML (first byte is a WBXML version, 0x01 to 0x03) or XML. WBXML is decoded with
`wbxml2xml -l ACTIVESYNC -m 0` (libwbxml2-utils), an implementation independent of the project's
codec. For every file one line is printed: `ok FILE`, or `invalid FILE: ERROR` with further
errors of that file on indented lines below. Exit status: 0 when every file is valid, 1 when one
or more is not, 2 when the check itself cannot run (bad arguments, lxml or wbxml2xml missing,
schemas missing or not compiling).

What the script bridges between the documents and the XSDs:
- EAS namespaces end with a colon in documents (`AirSync:`, MS-ASWBXML 2.1.2.1.1) but not in
  the XSDs' target namespaces (`AirSync`); the colon is dropped before validation.
- The XSDs refer to each other's namespaces without `xs:import` elements. The script compiles a
  copy of the whole set in a temporary directory: one schema per namespace that includes every
  file of that namespace, and in every file an `xs:import` of each namespace it refers to.
- libwbxml 0.11 names some tags and the GAL namespace differently from MS-ASWBXML (LIBWBXML_*
  below; crates/wbxml/tests/wbxml/common/aliases.rs lists the same facts and a test keeps the two
  equal). Decoded WBXML is renamed to the MS-ASWBXML names; XML files are taken as they are.
- The whole set declares many global elements, so the root element is checked to be the
  command's response element (ROOTS) before the content is validated.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

XS = "http://www.w3.org/2001/XMLSchema"
AUTODISCOVER_RESPONSE = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"

# The top-level element of each command's response (MS-ASCMD 2.2.1): (XSD namespace, name).
ROOTS = {
    "Autodiscover": (AUTODISCOVER_RESPONSE, "Autodiscover"),
    "Find": ("Find", "Find"),
    "FolderCreate": ("FolderHierarchy", "FolderCreate"),
    "FolderDelete": ("FolderHierarchy", "FolderDelete"),
    "FolderSync": ("FolderHierarchy", "FolderSync"),
    "FolderUpdate": ("FolderHierarchy", "FolderUpdate"),
    "GetHierarchy": ("FolderHierarchy", "Folders"),
    "GetItemEstimate": ("GetItemEstimate", "GetItemEstimate"),
    "ItemOperations": ("ItemOperations", "ItemOperations"),
    "MeetingResponse": ("MeetingResponse", "MeetingResponse"),
    "MoveItems": ("Move", "MoveItems"),
    "Ping": ("Ping", "Ping"),
    "Provision": ("Provision", "Provision"),
    "ResolveRecipients": ("ResolveRecipients", "ResolveRecipients"),
    "Search": ("Search", "Search"),
    "SendMail": ("ComposeMail", "SendMail"),
    "Settings": ("Settings", "Settings"),
    "SmartForward": ("ComposeMail", "SmartForward"),
    "SmartReply": ("ComposeMail", "SmartReply"),
    "Sync": ("AirSync", "Sync"),
    "ValidateCert": ("ValidateCert", "ValidateCert"),
}

# Tags libwbxml 0.11 spells differently: namespace -> {libwbxml's name: MS-ASWBXML name}.
LIBWBXML_TAGS = {
    "Calendar": {
        "Attendee_Email": "Email", "Attendee_Name": "Name", "Attendee_Status": "AttendeeStatus",
        "Attendee_Type": "AttendeeType", "DTStamp": "DtStamp", "Exception_Deleted": "Deleted",
        "Exception_StartTime": "ExceptionStartTime", "Organizer_Email": "OrganizerEmail",
        "Organizer_Name": "OrganizerName", "Recurrence_DayOfMonth": "DayOfMonth",
        "Recurrence_DayOfWeek": "DayOfWeek", "Recurrence_Interval": "Interval",
        "Recurrence_MonthOfYear": "MonthOfYear", "Recurrence_Occurrences": "Occurrences",
        "Recurrence_Type": "Type", "Recurrence_Until": "Until",
        "Recurrence_WeekOfMonth": "WeekOfMonth", "TimeZone": "Timezone",
    },
    "ComposeMail": {"MIME": "Mime"},
    "Contacts": {
        "AssistantTelephoneNumber": "AssistantPhoneNumber",
        **{f"{kind}{part}": f"{kind}Address{part}"
           for kind in ("Business", "Home", "Other")
           for part in ("City", "Country", "PostalCode", "State", "Street")},
    },
    "Email": {
        "DTStamp": "DtStamp", "FlagStatus": "Status", "Recurrence_DayOfMonth": "DayOfMonth",
        "Recurrence_DayOfWeek": "DayOfWeek", "Recurrence_Interval": "Interval",
        "Recurrence_MonthOfYear": "MonthOfYear", "Recurrence_Occurrences": "Occurrences",
        "Recurrence_Type": "Type", "Recurrence_Until": "Until",
        "Recurrence_WeekOfMonth": "WeekOfMonth", "Reply-To": "ReplyTo",
    },
    "Provision": {"DeviceEncryptionEnabled": "RequireStorageCardEncryption"},
    "RightsManagement": {
        "RMOwner": "Owner",
        "RemoveRightsManagementDistribution": "RemoveRightsManagementProtection",
    },
    "Settings": {"SmtpAddress": "SMTPAddress", "ihsManagementInformation": "RightsManagementInformation"},
    "Tasks": {
        "Recurrence_DayOfMonth": "DayOfMonth", "Recurrence_DayOfWeek": "DayOfWeek",
        "Recurrence_DeadOccur": "DeadOccur", "Recurrence_Interval": "Interval",
        "Recurrence_MonthOfYear": "MonthOfYear", "Recurrence_Occurrences": "Occurrences",
        "Recurrence_Regenerate": "Regenerate", "Recurrence_Start": "Start",
        "Recurrence_Type": "Type", "Recurrence_Until": "Until",
        "Recurrence_WeekOfMonth": "WeekOfMonth", "UTCDueDate": "UtcDueDate",
        "UTCStartDate": "UtcStartDate",
    },
    "ValidateCert": {"CheckCRL": "CheckCrl"},
}
# Namespaces libwbxml 0.11 names differently (code page 16), without the trailing colon.
LIBWBXML_NAMESPACES = {"Gal": "GAL"}

# XSD attributes whose values are QNames (or lists of them) that may name another namespace.
QNAME_ATTRIBUTES = ("ref", "type", "base", "itemType", "memberTypes", "substitutionGroup", "refer")
MAX_ERRORS = 10
WBXML_TIMEOUT_SECONDS = 60

etree = None  # lxml.etree, imported in main() so that a missing lxml is a clear setup error


class SetupError(Exception):
    """The check cannot run: exit status 2."""


class Invalid(Exception):
    """The document is not a valid response: exit status 1. One message per error."""

    def __init__(self, *errors: str):
        super().__init__(errors[0] if errors else "invalid")
        self.errors = list(errors)


def safe_parser():
    """No DTD loading (wbxml2xml writes a DOCTYPE), no entity expansion, no network."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)


# --- the schema set ---------------------------------------------------------------------------

def referenced_namespaces(root) -> set[str]:
    """Namespaces named by QName-valued attributes anywhere in the schema document."""
    found = set()
    for el in root.iter(f"{{{XS}}}*"):
        for attr in QNAME_ATTRIBUTES:
            for qname in (el.get(attr) or "").split():
                prefix = qname.split(":", 1)[0] if ":" in qname else None
                ns = el.nsmap.get(prefix)
                if ns is None and prefix is not None:
                    raise SetupError(f"line {el.sourceline}: prefix {prefix!r} of {attr}={qname!r} "
                                     "is not declared")
                if ns is not None and ns != XS:
                    found.add(ns)
    return found


def compile_schemas(schema_dir: str):
    """Every *.xsd of schema_dir as one compiled schema, with the missing imports added."""
    try:
        names = sorted(n for n in os.listdir(schema_dir) if n.endswith(".xsd"))
    except OSError as exc:
        raise SetupError(f"cannot read the schema directory {schema_dir}: {exc.strerror or exc}")
    if not names:
        raise SetupError(f"no .xsd files in {schema_dir}")
    files = {}
    by_namespace: dict[str, list[str]] = {}
    for name in names:
        try:
            tree = etree.parse(os.path.join(schema_dir, name), safe_parser())
        except (OSError, etree.XMLSyntaxError) as exc:
            raise SetupError(f"{name}: {exc}")
        root = tree.getroot()
        tns = root.get("targetNamespace")
        if root.tag != f"{{{XS}}}schema" or not tns:
            raise SetupError(f"{name}: not an xs:schema with a targetNamespace")
        try:
            refs = referenced_namespaces(root)
        except SetupError as exc:
            raise SetupError(f"{name}: {exc}")
        files[name] = (tree, tns, refs - {tns})
        by_namespace.setdefault(tns, []).append(name)
    hub = {ns: f"namespace-{i}.xsd" for i, ns in enumerate(sorted(by_namespace))}

    with tempfile.TemporaryDirectory(prefix="eas-xsd-") as tmp:
        def write(tree, name):
            tree.write(os.path.join(tmp, name), xml_declaration=True, encoding="utf-8")

        def schema(tns=None):
            root = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
            if tns is not None:
                root.set("targetNamespace", tns)
                root.set("elementFormDefault", "qualified")
            return root

        for name, (tree, tns, refs) in files.items():
            root = tree.getroot()
            for old in root.findall(f"{{{XS}}}import") + root.findall(f"{{{XS}}}include"):
                root.remove(old)
            for pos, ns in enumerate(sorted(refs)):
                if ns not in hub:
                    raise SetupError(f"{name} refers to namespace {ns!r}, which no schema in "
                                     f"{schema_dir} defines")
                root.insert(pos, etree.Element(f"{{{XS}}}import", namespace=ns, schemaLocation=hub[ns]))
            write(tree, name)
        for ns, members in by_namespace.items():
            root = schema(ns)
            for name in members:
                etree.SubElement(root, f"{{{XS}}}include", schemaLocation=name)
            write(etree.ElementTree(root), hub[ns])
        entry = schema()
        for ns in sorted(hub):
            etree.SubElement(entry, f"{{{XS}}}import", namespace=ns, schemaLocation=hub[ns])
        write(etree.ElementTree(entry), "all.xsd")
        try:
            compiled = etree.XMLSchema(etree.parse(os.path.join(tmp, "all.xsd"), safe_parser()))
        except etree.XMLSchemaParseError as exc:
            lines = [f"{os.path.basename(e.filename or '?')}:{e.line}: {e.message}"
                     for e in exc.error_log][:MAX_ERRORS]
            raise SetupError("the schemas do not compile:\n  " + "\n  ".join(lines or [str(exc)]))
    declared = {(tns, el.get("name")) for tree, tns, _ in files.values()
                for el in tree.getroot().findall(f"{{{XS}}}element")}
    return compiled, declared


# --- documents --------------------------------------------------------------------------------

def decode_wbxml(path: str) -> bytes:
    exe = shutil.which("wbxml2xml")
    if exe is None:
        raise SetupError("wbxml2xml is missing (Debian package libwbxml2-utils; "
                         "scripts/install-test-deps.sh installs it)")
    try:
        run = subprocess.run([exe, "-l", "ACTIVESYNC", "-m", "0", "-o", "-", path],
                             capture_output=True, timeout=WBXML_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise Invalid(f"wbxml2xml did not finish within {WBXML_TIMEOUT_SECONDS} s")
    message = "; ".join(line.strip() for line in run.stderr.decode("utf-8", "replace").splitlines()
                        if line.strip() and line.strip() != "wbxml2xml succeeded")
    if run.returncode != 0:
        raise Invalid(f"not decodable WBXML: wbxml2xml exited with {run.returncode}: "
                      f"{message or 'no message'}")
    if not run.stdout.strip():
        raise Invalid(f"not decodable WBXML: wbxml2xml wrote nothing{': ' + message if message else ''}")
    return run.stdout


def prefix_for(ns: str, taken: set[str]) -> str:
    """The namespace itself as prefix when it is a plain name (readable error paths)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", ns) and not ns.lower().startswith("xml"):
        prefix = ns
    else:
        prefix = "ns"
    base, n = prefix, 1
    while prefix in taken:
        n += 1
        prefix = f"{base}{n}"
    taken.add(prefix)
    return prefix


def schema_form(root, from_wbxml2xml: bool):
    """A copy of the document with XSD namespaces (no trailing colon) and, for decoded WBXML,
    MS-ASWBXML tag names. Comments and processing instructions are left out, their surrounding
    text kept."""

    def namespace(ns):
        if ns is None:
            return None
        if ns.endswith(":"):
            ns = ns[:-1]
        return LIBWBXML_NAMESPACES.get(ns, ns) if from_wbxml2xml else ns

    def qname(tag):
        q = etree.QName(tag)
        ns = namespace(q.namespace)
        local = LIBWBXML_TAGS.get(ns, {}).get(q.localname, q.localname) if from_wbxml2xml else q.localname
        return ns, local

    used = {namespace(etree.QName(el).namespace) for el in root.iter() if isinstance(el.tag, str)}
    taken: set[str] = set()
    nsmap = {prefix_for(ns, taken): ns for ns in sorted(used - {None})}

    def clark(ns, local):
        return f"{{{ns}}}{local}" if ns is not None else local

    def copy(src, parent):
        attrib = {clark(*qname(k)) if k.startswith("{") else k: v for k, v in src.attrib.items()}
        tag = clark(*qname(src.tag))
        new = (etree.Element(tag, attrib, nsmap=nsmap) if parent is None
               else etree.SubElement(parent, tag, attrib))
        new.text = src.text
        if src.sourceline:
            # libxml2 keeps line numbers up to 65535 per node.
            new.sourceline = min(src.sourceline, 65535)
        last = None
        for child in src:
            if isinstance(child.tag, str):
                last = copy(child, new)
                last.tail = child.tail
            elif child.tail:
                if last is None:
                    new.text = (new.text or "") + child.tail
                else:
                    last.tail = (last.tail or "") + child.tail
        return new

    return etree.ElementTree(copy(root, None))


def element_path(el) -> str:
    parts = []
    while el is not None:
        q = etree.QName(el)
        ns = q.namespace[:-1] if q.namespace and q.namespace.endswith(":") else q.namespace
        parts.append(f"{ns}:{q.localname}" if ns else q.localname)
        el = el.getparent()
    return "/" + "/".join(reversed(parts))


def check_file(path: str, compiled, root_tag: str) -> None:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise Invalid(f"cannot read: {exc.strerror or exc}")
    if not data:
        raise Invalid("empty file")
    # WBXML 1.3 section 5.4: the document starts with its version byte (EAS sends 0x03).
    from_wbxml = data[0] in (0x01, 0x02, 0x03)
    if from_wbxml:
        data = decode_wbxml(path)
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        what = "wbxml2xml's output" if from_wbxml else "the document"
        raise Invalid(f"{what} is not well-formed XML: {exc}")
    if from_wbxml:
        unknown = next((el for el in root.iter() if isinstance(el.tag, str)
                        and etree.QName(el).localname == "unknown"), None)
        if unknown is not None:
            raise Invalid(f"a tag token libwbxml does not know, at {element_path(unknown)} "
                          "(a wrong token, or one libwbxml 0.11 lacks: code page 25, "
                          "MeetingResponse:ProposedStartTime/ProposedEndTime, "
                          "Provision:AccountOnlyRemoteWipe; check such documents as XML)")
    doc = schema_form(root, from_wbxml)
    if doc.getroot().tag != root_tag:
        raise Invalid(f"the root element is {doc.getroot().tag}, expected {root_tag}")
    if compiled.validate(doc):
        return
    errors = [e for e in compiled.error_log if e.level >= etree.ErrorLevels.ERROR] or list(compiled.error_log)

    def where(e):
        # Decoded WBXML is one line: its element path is what locates the error.
        parts = [] if from_wbxml else [f"line {e.line}"]
        if e.path:
            parts.append(f"at {e.path}")
        return f" ({', '.join(parts)})" if parts else ""

    messages = [e.message + where(e) for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        messages.append(f"and {len(errors) - MAX_ERRORS} more errors")
    raise Invalid(*messages)


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description="Checks EAS response documents (WBXML or XML) against Microsoft's XSDs.")
    parser.add_argument("--kind", required=True, choices=("response", "request"),
                        help="only response: the vendored schemas describe responses")
    parser.add_argument("--command", required=True, help="one of: " + ", ".join(ROOTS))
    parser.add_argument("--schemas", default=os.path.join(here, "schemas"), metavar="DIR",
                        help="directory of the XSDs (default: schemas/ beside this script)")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)

    def setup_error(message):
        print(f"validate.py: {message}", file=sys.stderr)
        return 2

    if args.kind != "response":
        return setup_error("only responses can be checked: Microsoft's published test suites "
                           "carry XSDs for response documents only")
    if args.command not in ROOTS:
        return setup_error(f"unknown command {args.command!r}; known: {', '.join(ROOTS)}")
    global etree
    try:
        from lxml import etree as lxml_etree
    except ImportError:
        return setup_error("the Python module lxml is missing (tests/requirements.txt; "
                           "scripts/install-test-deps.sh installs it into the virtualenv)")
    etree = lxml_etree
    try:
        compiled, declared = compile_schemas(args.schemas)
        ns, name = ROOTS[args.command]
        if (ns, name) not in declared:
            raise SetupError(f"no schema in {args.schemas} declares the {args.command} response "
                             f"element {{{ns}}}{name}")
        invalid = 0
        for path in args.files:
            try:
                check_file(path, compiled, f"{{{ns}}}{name}")
                print(f"ok {path}", flush=True)
            except Invalid as exc:
                invalid += 1
                print(f"invalid {path}: " + "\n    ".join(exc.errors), flush=True)
        return 1 if invalid else 0
    except SetupError as exc:
        return setup_error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
