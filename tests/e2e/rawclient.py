"""A second independent EAS client: requests for HTTP, libwbxml's xml2wbxml/wbxml2xml for WBXML.

It speaks any protocol version, so the suite drives the server at 12.1, 14.1 and 16.1 with a
codec that shares no code with the server's.
"""
from __future__ import annotations

import base64
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import requests

# Called with (command, response) for every HTTP response the raw client receives; the test
# suite's conftest registers its XSD check of WBXML bodies here.
RESPONSE_OBSERVERS: list = []

DOCTYPE = '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">'


def to_wbxml(xml: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.xml"), os.path.join(d, "out.wbxml")
        with open(src, "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n' + DOCTYPE + "\n" + xml)
        subprocess.run(["xml2wbxml", "-a", "-n", "-o", dst, src], check=True, capture_output=True)
        with open(dst, "rb") as f:
            return f.read()


def from_wbxml(data: bytes) -> ET.Element:
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.wbxml"), os.path.join(d, "out.xml")
        with open(src, "wb") as f:
            f.write(data)
        subprocess.run(["wbxml2xml", "-l", "ACTIVESYNC", "-m", "0", "-o", dst, src], check=True, capture_output=True)
        root = ET.parse(dst).getroot()
    for el in root.iter():
        el.tag = el.tag.split("}", 1)[-1]
    return root


class Reply:
    def __init__(self, resp: requests.Response):
        self.status = resp.status_code
        self.headers = resp.headers
        self.raw = resp.content
        self.xml = from_wbxml(resp.content) if resp.content[:1] in (b"\x01", b"\x02", b"\x03") else None

    def text(self, path: str) -> str | None:
        """Text at a slash-separated path below the root, e.g. 'Policies/Policy/PolicyKey'."""
        if self.xml is None:
            return None
        el = self.xml.find(path)
        return None if el is None else (el.text or "")


class RawDevice:
    def __init__(self, eas_url: str, login: str, password: str, device_id: str, version: str,
                 device_type: str = "Android"):
        self.eas_url = eas_url
        self.login = login
        self.password = password
        self.device_id = device_id
        self.version = version
        self.device_type = device_type
        self.policy_key: str | None = None

    def post(self, cmd: str, xml: str | None) -> Reply:
        headers = {
            "MS-ASProtocolVersion": self.version,
            "Content-Type": "application/vnd.ms-sync.wbxml",
            "User-Agent": "Android/4.4.2-EAS-2.0",
            "Authorization": "Basic " + base64.b64encode(f"{self.login}:{self.password}".encode()).decode(),
        }
        if self.policy_key:
            headers["X-MS-PolicyKey"] = self.policy_key
        params = {"Cmd": cmd, "User": self.login, "DeviceId": self.device_id, "DeviceType": self.device_type}
        body = to_wbxml(xml) if xml else b""
        resp = requests.post(self.eas_url, params=params, data=body, headers=headers, timeout=30)
        for observe in RESPONSE_OBSERVERS:
            observe(cmd, resp)
        return Reply(resp)

    def provision(self, info: str = "") -> str:
        policy = '<Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies>'
        first = self.post("Provision", f'<Provision xmlns="Provision:" xmlns:S="Settings:">{info}{policy}</Provision>')
        assert first.status == 200, first.status
        temp = first.text("Policies/Policy/PolicyKey")
        assert temp, first.raw
        ack = ('<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>'
               f"<PolicyKey>{temp}</PolicyKey><Status>1</Status></Policy></Policies></Provision>")
        second = self.post("Provision", ack)
        key = second.text("Policies/Policy/PolicyKey")
        assert key and key != temp, second.raw
        self.policy_key = key
        return key

    def folder_sync(self, key: str = "0") -> Reply:
        return self.post("FolderSync", f'<FolderSync xmlns="FolderHierarchy:"><SyncKey>{key}</SyncKey></FolderSync>')
