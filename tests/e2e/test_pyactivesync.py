"""End-to-end: the independent pyactivesync client against the embedded server, at 16.1 and 14.1."""
from __future__ import annotations

import uuid

import pytest
from pyactivesync import Client, FolderType
from pyactivesync.exceptions import StatusError
import pyactivesync._http as pyas_http

from conftest import DEMO_PASSWORDS

USER = "jdoe@example.loc"


def client(server, username=USER, password=None, device_id=None) -> Client:
    c = Client(
        server=server.host_port,
        username=username,
        password=password or DEMO_PASSWORDS[USER],
        device_id=device_id or ("e2e" + uuid.uuid4().hex[:12]),
        user=USER,
    )
    # pyactivesync always speaks https; the embedded server listens on plain http.
    c._transport.base_url = server.eas_url
    return c


@pytest.fixture(params=["16.1", "14.1"])
def version(request, monkeypatch):
    # pyactivesync speaks 16.1 only; its protocol version is one module constant, so the same
    # independent client also drives 14.1.
    monkeypatch.setattr(pyas_http, "_EAS_PROTOCOL_VERSION", request.param)
    return request.param


def test_provisioning_gives_a_numeric_policy_key(server, version):
    with client(server) as c:
        key = c.provision()
        assert key.isdigit() and int(key) != 0


def test_folder_sync_lists_the_standard_folders_with_their_types(server, version):
    with client(server) as c:
        folders = c.list_folders()
    by_type = {f.type: f for f in folders}
    for t in (
        FolderType.INBOX,
        FolderType.DRAFTS,
        FolderType.DELETED_ITEMS,
        FolderType.SENT_ITEMS,
        FolderType.OUTBOX,
        FolderType.CALENDAR,
        FolderType.CONTACTS,
    ):
        assert t in by_type, f"missing {t}"
    assert by_type[FolderType.INBOX].name == "Inbox"
    assert all(f.parent_id == "0" for f in folders)
    assert len({f.id for f in folders}) == len(folders)


@pytest.mark.parametrize("login", ["jdoe@example.loc", "example.loc\\jdoe", "EXAMPLE\\jdoe", "jdoe"])
def test_every_login_form_reaches_the_same_mailbox(server, login):
    with client(server, username=login) as c:
        assert c.provision()
        assert any(f.type == FolderType.INBOX for f in c.list_folders())


def test_wrong_password_is_refused_with_401(server):
    import requests

    with client(server, password="not-the-password") as c:
        with pytest.raises(requests.HTTPError) as err:
            c.provision()
    assert err.value.response.status_code == 401
    assert "Basic" in err.value.response.headers.get("WWW-Authenticate", "")


def test_device_information_sent_while_provisioning_is_stored(server, version):
    device_id = "e2einfo" + uuid.uuid4().hex[:8]
    with client(server, device_id=device_id) as c:
        c.provision()
    r = server.admin("GET", f"/admin/devices/{USER}/{device_id}")
    assert r.status_code == 200, r.text
    dev = r.json()
    assert dev["info"]["model"] == "pyactivesync"
    assert dev["protocol_version"] == version
    assert dev["policy_key"] is not None


def test_quarantined_device_gets_data_only_after_approval(server):
    import requests

    r = server.admin("PATCH", "/admin/domains/example.loc", json={"approval": "require_approval"})
    assert r.status_code == 200, r.text
    device_id = "e2eq" + uuid.uuid4().hex[:8]
    try:
        with client(server, device_id=device_id) as c:
            c.provision()
            with pytest.raises(StatusError) as err:
                c.list_folders()
            assert err.value.code == "129"
            pending = server.admin("GET", "/admin/devices?approval=pending").json()
            assert any(d["device_id"] == device_id for d in pending)
            r = server.admin("POST", f"/admin/devices/{USER}/{device_id}/approve")
            assert r.status_code == 200, r.text
            assert any(f.type == FolderType.INBOX for f in c.list_folders())
    finally:
        server.admin("PATCH", "/admin/domains/example.loc", json={"approval": None})
