"""End-to-end at 12.1, 14.1 and 16.1 with a client whose WBXML codec is libwbxml's."""
from __future__ import annotations

import uuid

import pytest

from conftest import DEMO_PASSWORDS
from rawclient import RawDevice

USER = "asmith@example.loc"


def device(server, version: str) -> RawDevice:
    return RawDevice(server.eas_url, USER, DEMO_PASSWORDS[USER], "raw" + uuid.uuid4().hex[:10], version)


@pytest.mark.parametrize("version", ["12.1", "14.1", "16.1"])
def test_provision_then_foldersync_then_settings(server, version):
    d = device(server, version)
    # Before provisioning: HTTP 449 below 14.0, status 142 in the body from 14.0 on.
    r = d.folder_sync("0")
    if version == "12.1":
        assert r.status == 449
    else:
        assert r.status == 200 and r.text("Status") == "142"
    d.provision()
    r = d.folder_sync("0")
    assert r.status == 200 and r.text("Status") == "1"
    names = {a.findtext("DisplayName") for a in r.xml.iter("Add")}
    assert {"Inbox", "Drafts", "Deleted Items", "Sent Items", "Outbox", "Calendar", "Contacts"} <= names
    key = r.text("SyncKey")
    r = d.folder_sync(key)
    assert r.text("Status") == "1" and r.text("Changes/Count") == "0"

    r = d.post(
        "Settings",
        '<Settings xmlns="Settings:"><DeviceInformation><Set><Model>Pixel 8</Model>'
        "<OS>Android 14</OS><FriendlyName>raw phone</FriendlyName></Set></DeviceInformation>"
        "<UserInformation><Get/></UserInformation></Settings>",
    )
    assert r.status == 200 and r.text("Status") == "1"
    assert r.text("DeviceInformation/Status") == "1"
    assert USER in r.raw.decode("latin-1")
    dev = server.admin("GET", f"/admin/devices/{USER}/{d.device_id}").json()
    assert dev["info"]["model"] == "Pixel 8"


@pytest.mark.parametrize("version", ["12.1", "14.1"])
def test_a_resent_stale_key_is_refused_and_provisioning_again_recovers(server, version):
    d = device(server, version)
    d.provision()
    d.policy_key = str((int(d.policy_key) + 1) % 2**32)
    r = d.folder_sync("0")
    assert (r.status == 449) if version == "12.1" else (r.text("Status") == "144")
    d.provision()
    assert d.folder_sync("0").text("Status") == "1"
