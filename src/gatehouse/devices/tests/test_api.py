"""/api/v1/devices/, /devices/pending/, /device-groups/, /device-commands/, /device-events/
and /firmware-packages/: what each enterprise, each part of the group tree and the platform
super administrator can do, and the words a refusal comes with."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    token_client,
)
from gatehouse.devices import commands, ingest, services, sync
from gatehouse.devices.models import Device, DeviceCommand, DeviceGroup, FirmwarePackage, Holding
from gatehouse.tenancy import services as tenancy_services
from gatehouse.tenancy.models import Group

pytestmark = pytest.mark.django_db

DEVICES = "/api/v1/devices/"
PENDING = "/api/v1/devices/pending/"
GROUPS = "/api/v1/device-groups/"
COMMANDS = "/api/v1/device-commands/"
EVENTS = "/api/v1/device-events/"
PACKAGES = "/api/v1/firmware-packages/"
MakeDevice = Callable[..., Device]


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def patch(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.patch(url, data, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:500]
    return response.json()


def serials(response: Any) -> list[str]:
    return sorted(device["serial_number"] for device in ok(response)["results"])


def stored(device_id: int) -> Device | None:
    with platform_scope():
        return Device.objects.select_related("group").filter(pk=device_id).first()


def command_count(device: Device) -> int:
    with platform_scope():
        return DeviceCommand.objects.filter(device=device).count()


def set_member_permissions(cast: Any, permissions: list[str]) -> None:
    """What a-member's role ("A viewers") grants."""
    with tenant_scope(cast.enterprise_a.pk):
        tenancy_services.update_role(
            cast.a_role, actor=Actor.system("test"), permissions=permissions
        )


def default_device_group(group: Group) -> DeviceGroup:
    with platform_scope():
        device_group: DeviceGroup = DeviceGroup.objects.get(group=group, is_default=True)
    return device_group


def upload(client: Client, data: bytes = b"firmware image", **fields: str) -> Any:
    handle = io.BytesIO(data)
    handle.name = "update.bin"
    return client.post(PACKAGES, {"name": "Face app", "version": "2.1", "file": handle, **fields})


@pytest.fixture
def admin(cast: Any) -> Client:
    return token_client(cast.a_admin)


@pytest.fixture
def root(cast: Any) -> Client:
    return token_client(cast.superadmin)


@pytest.fixture
def top(cast: Any) -> Group:
    with platform_scope():
        group: Group = Group.objects.get(pk=cast.a_admin.group_id)
    return group


# --- the device registry -------------------------------------------------------------------


def test_devices_are_listed_with_their_filters(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    make_device("SN-FRONT", name="Front door")
    back = make_device("SN-BACK", name="Back door", group=cast.a_sub_group, online=False)
    bolt = make_device("SN-BOLT", name="Bolt door", enterprise=cast.enterprise_b)

    assert serials(admin.get(DEVICES)) == ["SN-BACK", "SN-FRONT"]
    assert serials(admin.get(f"{DEVICES}?status=online")) == ["SN-FRONT"]
    assert serials(admin.get(f"{DEVICES}?status=offline")) == ["SN-BACK"]
    assert serials(admin.get(f"{DEVICES}?search=back")) == ["SN-BACK"]
    assert serials(admin.get(f"{DEVICES}?device_group={back.device_group_id}")) == ["SN-BACK"]
    assert serials(admin.get(f"{DEVICES}?group={cast.a_sub_group.pk}")) == ["SN-BACK"]
    listed = ok(admin.get(f"{DEVICES}?search=front"))["results"][0]
    assert (listed["status"], listed["name"], listed["has_comm_key"]) == (
        "online",
        "Front door",
        False,
    )

    error = assert_error(admin.get(f"{DEVICES}?status=asleep"), 400, "invalid")
    assert set(error["fields"]) == {"status"}
    error = assert_error(
        admin.get(f"{DEVICES}?device_group={bolt.device_group_id}"), 400, "invalid"
    )
    assert set(error["fields"]) == {"device_group"}


def test_a_device_shows_capabilities_sync_progress_and_parameters(
    admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT", name="Front door")
    shown = ok(admin.get(f"{DEVICES}{device.pk}/"))

    assert shown["serial_number"] == "SN-FRONT"
    assert shown["model"] == "SpeedFace-V5L"
    assert shown["capabilities"]["doors"] == 2  # LockCount=2 in its registry
    assert shown["capabilities"]["faces"] is True
    assert {"door.open", "device.reboot", "parameters.set"} <= set(
        shown["capabilities"]["operations"]
    )
    assert shown["sync_progress"] == {"total": 0, "done": 0, "pending": 0, "failed": 0}
    parameters = {spec["name"]: spec for spec in shown["parameters"]}
    assert (parameters["volume"]["minimum"], parameters["volume"]["maximum"]) == (0, 100)
    assert {"value": "2", "label": "Normally closed"} in parameters["door2_sensor_type"]["choices"]
    assert "comm_key" not in shown


def test_a_device_is_edited_and_its_communication_key_is_write_only(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT")
    url = f"{DEVICES}{device.pk}/"
    changed = ok(
        patch(
            admin,
            url,
            {"name": "Lobby", "address": "Hall 1", "comm_key": "4711", "poll_interval": 10},
        )
    )

    assert (changed["name"], changed["address"], changed["poll_interval"]) == (
        "Lobby",
        "Hall 1",
        10,
    )
    assert changed["has_comm_key"] is True
    for shown in (changed, ok(admin.get(url)), ok(admin.get(DEVICES))["results"][0]):
        assert "comm_key" not in shown
        assert "4711" not in str(shown)
    after = stored(device.pk)
    assert after is not None
    assert after.comm_key == "4711"
    # the new key is sent to the device, and its command does not show it either
    command = ok(admin.get(f"{COMMANDS}?device={device.pk}"))["results"][0]
    assert command["operation"] == "parameters.set"
    assert "4711" not in str(command)

    assert ok(patch(admin, url, {"comm_key": ""}))["has_comm_key"] is False
    assert admin.put(url, {"name": "x"}, content_type="application/json").status_code == 405


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"poll_interval": 0}, "poll_interval", "between 1 and 300 seconds"),
        ({"utc_offset_minutes": 900}, "utc_offset_minutes", "between -12:00 and +14:00"),
        ({"comm_key": "12ab"}, "comm_key", "up to 8 digits"),
        ({"name": "  "}, "name", "cannot be empty"),
        ({"poll_interval": "often"}, "poll_interval", "valid integer"),
    ],
)
def test_bad_device_values_are_refused_and_nothing_changes(
    admin: Client, make_device: MakeDevice, values: dict[str, Any], field: str, words: str
) -> None:
    device = make_device("SN-FRONT", name="Front door")
    error = assert_error(patch(admin, f"{DEVICES}{device.pk}/", values), 400, "invalid")
    assert set(error["fields"]) == {field}
    assert words in " ".join(error["fields"][field])
    after = stored(device.pk)
    assert after is not None
    assert (after.name, after.poll_interval, after.utc_offset_minutes, after.comm_key) == (
        "Front door",
        2,
        0,
        "",
    )


def test_a_device_group_of_another_user_group_or_enterprise_is_refused(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT")
    branch = make_device("SN-BRANCH", group=cast.a_sub_group)
    bolt = make_device("SN-BOLT", enterprise=cast.enterprise_b)
    url = f"{DEVICES}{device.pk}/"

    error = assert_error(
        patch(admin, url, {"device_group": branch.device_group_id}), 400, "invalid"
    )
    assert "Move group" in error["fields"]["device_group"][0]
    error = assert_error(patch(admin, url, {"device_group": bolt.device_group_id}), 400, "invalid")
    assert error["fields"] == {
        "device_group": [f'Invalid pk "{bolt.device_group_id}" - object does not exist.']
    }
    after = stored(device.pk)
    assert after is not None
    assert after.device_group_id == device.device_group_id


def test_only_an_offline_device_is_deleted(admin: Client, make_device: MakeDevice) -> None:
    online = make_device("SN-ON")
    offline = make_device("SN-OFF", online=False)

    error = assert_error(admin.delete(f"{DEVICES}{online.pk}/"), 400, "invalid")
    assert error["message"] == "Only offline devices can be deleted."
    assert stored(online.pk) is not None
    assert admin.delete(f"{DEVICES}{offline.pk}/").status_code == 204
    assert stored(offline.pk) is None
    assert serials(admin.get(DEVICES)) == ["SN-ON"]


# --- remote operations and the command queue ------------------------------------------------


def test_an_operation_is_queued_logged_and_cancelled(
    admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT")
    body = {"operation": "door.open", "arguments": {"door": 2, "seconds": 5}}
    queued = ok(post(admin, f"{DEVICES}{device.pk}/operations/", body), 202)["commands"]

    assert [(c["operation"], c["state"], c["device"]) for c in queued] == [
        ("door.open", "queued", device.pk)
    ]
    assert queued[0]["operation_label"] == "Open door remotely"
    log = ok(admin.get(f"{DEVICES}{device.pk}/commands/"))
    assert [c["id"] for c in log["results"]] == [queued[0]["id"]]
    assert ok(admin.get(f"{COMMANDS}?device={device.pk}&state=queued"))["count"] == 1

    url = f"{COMMANDS}{queued[0]['id']}/"
    cancelled = ok(post(admin, f"{url}cancel/"))
    assert cancelled["state"] == "cancelled"
    assert "Cancelled by a-admin" in cancelled["message"]
    error = assert_error(post(admin, f"{url}cancel/"), 400, "invalid")
    assert "not collected yet" in error["message"]
    assert ok(admin.get(url))["state"] == "cancelled"
    assert ok(admin.get(f"{COMMANDS}?state=queued"))["count"] == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"operation": "device.clear_data"}, "does not support this operation: Reset"),
        ({"operation": "warp.drive"}, "does not support this operation: warp.drive"),
        ({"operation": "device.reboot", "online_only": True}, "is offline"),
        ({"operation": "parameters.set", "arguments": {}}, 'arguments {"values"'),
        ({"operation": "firmware.upgrade", "arguments": {"package_id": 999}}, "package_id"),
    ],
)
def test_a_refused_operation_queues_nothing(
    admin: Client, make_device: MakeDevice, body: dict[str, Any], words: str
) -> None:
    device = make_device("SN-OFF", name="Back door", online=False)  # acc: no clear_data
    error = assert_error(post(admin, f"{DEVICES}{device.pk}/operations/", body), 400, "invalid")
    assert words in error["message"]
    assert command_count(device) == 0


def test_parameters_are_checked_before_anything_is_queued(
    admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT")
    url = f"{DEVICES}{device.pk}/parameters/"

    error = assert_error(post(admin, url, {"values": {"volume": 150}}), 400, "invalid")
    assert error["fields"] == {"volume": ["Volume must be between 0 and 100."]}
    error = assert_error(post(admin, url, {"values": {"volume": 30, "warp": 9}}), 400, "invalid")
    assert "has no parameter warp" in error["message"]
    error = assert_error(post(admin, url, {"values": {}}), 400, "invalid")
    assert set(error["fields"]) == {"values"}
    assert command_count(device) == 0

    queued = ok(post(admin, url, {"values": {"volume": 30, "silent_mode": True}}), 202)
    assert [c["operation"] for c in queued["commands"]] == ["parameters.set"]
    with platform_scope():
        command = DeviceCommand.objects.get(pk=queued["commands"][0]["id"])
    assert command.arguments == {"values": {"volume": 30, "silent_mode": True}}


def test_devices_move_to_another_device_group_and_its_user_group(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    first = make_device("SN-1")
    second = make_device("SN-2")
    bolt = make_device("SN-BOLT", enterprise=cast.enterprise_b)
    target = ok(post(admin, GROUPS, {"name": "Gates", "group": cast.a_sub_group.pk}), 201)

    body = {"devices": [first.pk, second.pk], "device_group": target["id"]}
    assert ok(post(admin, f"{DEVICES}move/", body)) == {"moved": 2}
    for device in (first, second):
        moved = stored(device.pk)
        assert moved is not None
        assert (moved.device_group_id, moved.group_id) == (target["id"], cast.a_sub_group.pk)

    refused = {"devices": [first.pk, bolt.pk], "device_group": default_device_group_id(first)}
    error = assert_error(post(admin, f"{DEVICES}move/", refused), 400, "invalid")
    assert error["fields"] == {"devices": [f'Invalid pk "{bolt.pk}" - object does not exist.']}
    error = assert_error(
        post(admin, f"{DEVICES}move/", {"devices": [], "device_group": target["id"]}),
        400,
        "invalid",
    )
    assert set(error["fields"]) == {"devices"}
    after = stored(first.pk)
    assert after is not None
    assert after.device_group_id == target["id"]


def default_device_group_id(device: Device) -> int:
    assert device.group is not None
    return default_device_group(device.group).pk


def test_failures_are_listed_and_pushed_again(
    cast: Any, top: Group, admin: Client, make_device: MakeDevice
) -> None:
    from gatehouse.people import services as people_services

    device = make_device("SN-FRONT")
    with tenant_scope(cast.enterprise_a.pk):
        for personnel_id in ("1001", "AB12"):
            people_services.create_person(
                actor=Actor.for_user(cast.a_admin),
                group=top,
                personnel_id=personnel_id,
                first_name=f"P{personnel_id}",
            )
        sync.reconcile(device)
        users = DeviceCommand.objects.get(device=device, operation="user.put")
        commands.record_results(device, [commands.CommandResult(users.command_id, -18)])

    failures = ok(admin.get(f"{DEVICES}{device.pk}/failures/"))["results"]
    reasons = {(f["kind"], f["key"]): f["reason"] for f in failures}
    assert set(reasons) == {("user", "1001"), ("user", "AB12"), ("authorization", "AB12")}
    assert "-18" in reasons["user", "1001"]
    assert "not a number" in reasons["user", "AB12"]
    assert ok(admin.get(f"{DEVICES}{device.pk}/"))["sync_progress"]["failed"] == 3

    # 1001 is sent again; AB12 stays refused until its personnel ID changes
    assert ok(post(admin, f"{DEVICES}{device.pk}/repush/"), 202) == {"queued": 1}
    with platform_scope():
        states = dict(
            Holding.objects.filter(device=device, kind="user").values_list("key", "state")
        )
    assert states == {"1001": Holding.State.PENDING, "AB12": Holding.State.FAILED}


def test_events_and_operation_logs_of_a_device(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT")
    other = make_device("SN-OTHER")
    rows = [
        ingest.EventRow(datetime(2025, 3, 1, 8, 30), "1", 0, door=1, pin="1001"),  # noqa: DTZ001
        ingest.EventRow(datetime(2025, 3, 5, 9, 0), "2", 27, door=1, pin="2002"),  # noqa: DTZ001
    ]
    with tenant_scope(cast.enterprise_a.pk):
        ingest.store_events(device, rows)
        ingest.store_events(other, [ingest.EventRow(datetime(2025, 3, 2), "1", 0)])  # noqa: DTZ001
        ingest.store_operation_logs(
            device,
            [ingest.OperationRow(datetime(2025, 3, 1, 7), 4, "admin1", ("1001",))],  # noqa: DTZ001
        )

    events = ok(admin.get(f"{DEVICES}{device.pk}/events/"))["results"]
    assert [(e["pin"], e["event_code"]) for e in events] == [("2002", 27), ("1001", 0)]
    assert events[1]["local_time"] == "2025-03-01T08:30:00"
    assert ok(admin.get(EVENTS))["count"] == 3
    assert [e["pin"] for e in ok(admin.get(f"{EVENTS}?device={device.pk}"))["results"]] == [
        "2002",
        "1001",
    ]
    assert [e["pin"] for e in ok(admin.get(f"{EVENTS}?pin=1001"))["results"]] == ["1001"]
    dated = ok(admin.get(f"{EVENTS}?device={device.pk}&date_from=2025-03-04&date_to=2025-03-31"))
    assert [e["pin"] for e in dated["results"]] == ["2002"]
    assert ok(admin.get(f"{EVENTS}{events[0]['id']}/"))["event_code"] == 27
    error = assert_error(admin.get(f"{EVENTS}?date_from=yesterday"), 400, "invalid")
    assert set(error["fields"]) == {"date_from"}

    logs = ok(admin.get(f"{DEVICES}{device.pk}/operation-logs/"))["results"]
    assert [(log["operation"], log["administrator"], log["objects_text"]) for log in logs] == [
        (4, "admin1", "1001")
    ]


# --- the pending pool ----------------------------------------------------------------------


def test_only_the_super_administrator_sees_and_approves_pending_devices(
    cast: Any, root: Client, admin: Client
) -> None:
    pending = services.note_contact("NEW-1", driver="zkpush", dialect="acc")
    b_admin = token_client(cast.b_admin)
    url = f"{PENDING}{pending.pk}/approve/"
    body = {"enterprise": "ACME", "group": "Branch", "name": "Lobby"}

    for client in (admin, b_admin):
        assert_error(client.get(PENDING), 403, "permission_denied")
        assert_error(post(client, url, body), 403, "permission_denied")
        assert_error(client.get(f"{DEVICES}{pending.pk}/"), 404, "not_found")
        assert serials(client.get(DEVICES)) == []
    assert serials(root.get(PENDING)) == ["NEW-1"]
    assert serials(root.get(DEVICES)) == []  # the pool is not a device list
    assert ok(root.get(PENDING))["results"][0]["status"] == "pending"

    approved = ok(post(root, url, body))
    assert (approved["status"], approved["name"]) == ("online", "Lobby")
    assert (approved["enterprise"], approved["group"]) == (
        cast.enterprise_a.pk,
        cast.a_sub_group.pk,
    )
    assert serials(root.get(PENDING)) == []
    assert serials(admin.get(DEVICES)) == ["NEW-1"]
    assert_error(post(root, url, body), 404, "not_found")  # no longer in the pool


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"enterprise": "nope"}, "enterprise", "no enterprise with the code or id nope"),
        ({"enterprise": "acme", "group": "Nowhere"}, "group", "acme has no group Nowhere"),
        ({}, "enterprise", "required"),
    ],
)
def test_an_approval_to_an_unknown_place_is_refused(
    root: Client, body: dict[str, Any], field: str, words: str
) -> None:
    pending = services.note_contact("NEW-1", driver="zkpush", dialect="acc")
    error = assert_error(post(root, f"{PENDING}{pending.pk}/approve/", body), 400, "invalid")
    assert list(error["fields"]) == [field]
    assert words in error["fields"][field][0]
    device = stored(pending.pk)
    assert device is not None
    assert device.is_pending


def test_a_group_of_another_enterprise_is_no_place_for_an_approval(cast: Any, root: Client) -> None:
    pending = services.note_contact("NEW-1", driver="zkpush", dialect="acc")
    body = {"enterprise": cast.enterprise_a.pk, "group": cast.b_admin.group_id}
    error = assert_error(post(root, f"{PENDING}{pending.pk}/approve/", body), 400, "invalid")
    assert list(error["fields"]) == ["group"]
    device = stored(pending.pk)
    assert device is not None
    assert device.is_pending


# --- device groups -------------------------------------------------------------------------


def test_device_groups_are_created_renamed_and_deleted_when_empty(
    cast: Any, top: Group, admin: Client, make_device: MakeDevice
) -> None:
    make_device("SN-FRONT")
    default = default_device_group(top)
    created = ok(post(admin, GROUPS, {"name": "Gates", "group": top.pk}), 201)
    assert (created["name"], created["is_default"], created["group"]) == ("Gates", False, top.pk)
    url = f"{GROUPS}{created['id']}/"

    assert ok(patch(admin, url, {"name": "Main gates"}))["name"] == "Main gates"
    error = assert_error(
        post(admin, GROUPS, {"name": "main GATES", "group": top.pk}), 400, "invalid"
    )
    assert error["fields"] == {"name": ["A device group with this name already exists here."]}
    error = assert_error(patch(admin, url, {"group": cast.a_sub_group.pk}), 400, "invalid")
    assert "keeps its user group" in error["fields"]["group"][0]
    error = assert_error(post(admin, GROUPS, {"name": "No group"}), 400, "invalid")
    assert set(error["fields"]) == {"group"}

    default_url = f"{GROUPS}{default.pk}/"
    error = assert_error(patch(admin, default_url, {"name": "Mine"}), 400, "invalid")
    assert error["message"] == "The default device group cannot be renamed."
    error = assert_error(admin.delete(default_url), 400, "invalid")
    assert error["message"] == "The default device group cannot be deleted."

    assert admin.delete(url).status_code == 204
    names = [g["display_name"] for g in ok(admin.get(f"{GROUPS}?group={top.pk}"))["results"]]
    assert names == ["Default device group"]


def test_a_device_group_with_devices_is_not_deleted(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT")
    gates = ok(post(admin, GROUPS, {"name": "Gates", "group": device.group_id}), 201)
    ok(post(admin, f"{DEVICES}move/", {"devices": [device.pk], "device_group": gates["id"]}))
    error = assert_error(admin.delete(f"{GROUPS}{gates['id']}/"), 400, "invalid")
    assert "Only an empty device group" in error["message"]
    with platform_scope():
        assert DeviceGroup.objects.filter(pk=gates["id"]).exists()


def test_an_operation_on_a_device_group_reaches_each_of_its_devices(
    top: Group, admin: Client, make_device: MakeDevice
) -> None:
    first = make_device("SN-1")
    second = make_device("SN-2")
    default = default_device_group(top)
    url = f"{GROUPS}{default.pk}/operations/"

    queued = ok(post(admin, url, {"operation": "time.sync"}), 202)["commands"]
    assert sorted((c["device"], c["operation"]) for c in queued) == [
        (first.pk, "time.sync"),
        (second.pk, "time.sync"),
    ]
    body = {"operation": "parameters.set", "arguments": {"values": {"volume": 300}}}
    error = assert_error(post(admin, url, body), 400, "invalid")
    assert "between 0 and 100" in error["message"]
    body["arguments"] = {"values": {"volume": 40}}
    assert len(ok(post(admin, url, body), 202)["commands"]) == 2

    empty = ok(post(admin, GROUPS, {"name": "Empty", "group": top.pk}), 201)
    error = assert_error(
        post(admin, f"{GROUPS}{empty['id']}/operations/", {"operation": "time.sync"}),
        400,
        "invalid",
    )
    assert "no device in the selected group" in error["message"]
    assert command_count(first) == 2  # time.sync and the volume, nothing for the refusal


# --- firmware packages ---------------------------------------------------------------------


def test_a_package_is_uploaded_used_for_an_upgrade_and_deleted(
    admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT")
    package = ok(upload(admin, b"firmware image", notes="spring release"), 201)
    assert (package["name"], package["version"], package["byte_size"]) == ("Face app", "2.1", 14)
    assert package["sha256"] == hashlib.sha256(b"firmware image").hexdigest()
    assert package["md5"] == hashlib.md5(b"firmware image", usedforsecurity=False).hexdigest()
    assert package["uploaded_by"].startswith("a-admin (token ")
    assert [p["id"] for p in ok(admin.get(PACKAGES))["results"]] == [package["id"]]

    body = {"operation": "firmware.upgrade", "arguments": {"package_id": package["id"]}}
    queued = ok(post(admin, f"{DEVICES}{device.pk}/operations/", body), 202)["commands"]
    assert [c["operation"] for c in queued] == ["firmware.upgrade"]
    url = f"{PACKAGES}{package['id']}/"
    error = assert_error(admin.delete(url), 400, "invalid")
    assert error["message"] == "Devices are still being upgraded with this package."

    ok(post(admin, f"{COMMANDS}{queued[0]['id']}/cancel/"))
    assert admin.delete(url).status_code == 204
    assert ok(admin.get(PACKAGES))["count"] == 0


@pytest.mark.parametrize(
    ("data", "fields", "field", "words"),
    [
        (b"", {}, "file", "empty"),
        (b"image", {"version": ""}, "version", "may not be blank"),
    ],
)
def test_an_unusable_package_is_refused(
    admin: Client, data: bytes, fields: dict[str, str], field: str, words: str
) -> None:
    error = assert_error(upload(admin, data, **fields), 400, "invalid")
    assert list(error["fields"]) == [field]
    assert words in error["fields"][field][0]
    with platform_scope():
        assert not FirmwarePackage.objects.exists()


def test_another_enterprises_package_is_no_upgrade(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    bolt_package = ok(upload(token_client(cast.b_admin)), 201)
    device = make_device("SN-FRONT")
    body = {"operation": "firmware.upgrade", "arguments": {"package_id": bolt_package["id"]}}
    error = assert_error(post(admin, f"{DEVICES}{device.pk}/operations/", body), 400, "invalid")
    assert list(error["fields"]) == ["arguments"]
    assert command_count(device) == 0
    assert ok(admin.get(PACKAGES))["count"] == 0
    assert_error(admin.get(f"{PACKAGES}{bolt_package['id']}/"), 404, "not_found")
    assert_error(admin.delete(f"{PACKAGES}{bolt_package['id']}/"), 404, "not_found")


# --- permissions and isolation -------------------------------------------------------------


LIST_ROUTES = (DEVICES, GROUPS, COMMANDS, EVENTS, PACKAGES)


def test_a_member_without_device_permissions_is_refused_everywhere(
    cast: Any, make_device: MakeDevice
) -> None:
    device = make_device("SN-BRANCH", group=cast.a_sub_group)
    member = token_client(cast.a_member)  # "A viewers": tenancy.view, audit.view
    for url in LIST_ROUTES:
        error = assert_error(member.get(url), 403, "permission_denied")
        assert "devices.view" in error["message"]
    assert_error(member.get(PENDING), 403, "permission_denied")
    assert_error(member.get(f"{DEVICES}{device.pk}/"), 403, "permission_denied")
    assert_error(upload(member), 403, "permission_denied")


def test_a_viewer_reads_but_does_not_operate_change_or_delete(
    cast: Any, make_device: MakeDevice
) -> None:
    set_member_permissions(cast, ["devices.view"])
    device = make_device("SN-BRANCH", name="Branch door", group=cast.a_sub_group, online=False)
    viewer = token_client(cast.a_member)
    url = f"{DEVICES}{device.pk}/"
    assert ok(viewer.get(url))["serial_number"] == "SN-BRANCH"

    refusals = [
        (post(viewer, f"{url}operations/", {"operation": "device.reboot"}), "devices.control"),
        (post(viewer, f"{url}parameters/", {"values": {"volume": 1}}), "devices.control"),
        (patch(viewer, url, {"name": "Mine"}), "devices.change"),
        (viewer.delete(url), "devices.delete"),
        (post(viewer, f"{url}repush/"), "devices.change"),
        (
            post(
                viewer,
                f"{DEVICES}move/",
                {"devices": [device.pk], "device_group": device.device_group_id},
            ),
            "devices.change",
        ),
        (
            post(
                viewer,
                f"{GROUPS}{device.device_group_id}/operations/",
                {"operation": "time.sync"},
            ),
            "devices.control",
        ),
        (post(viewer, GROUPS, {"name": "Mine", "group": cast.a_sub_group.pk}), "devices.add"),
        (upload(viewer), "devices.add"),
    ]
    for response, permission in refusals:
        error = assert_error(response, 403, "permission_denied")
        assert permission in error["message"]
    after = stored(device.pk)
    assert after is not None
    assert after.name == "Branch door"
    assert command_count(device) == 0


def test_a_member_sees_and_operates_only_the_devices_of_its_branch(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    set_member_permissions(cast, ["devices.view", "devices.change", "devices.control"])
    make_device("SN-BRANCH", group=cast.a_sub_group)
    top = make_device("SN-TOP")
    sibling = make_device("SN-SIBLING", group=cast.a_sibling_group)
    with tenant_scope(cast.enterprise_a.pk):
        ingest.store_events(sibling, [ingest.EventRow(datetime(2025, 3, 1), "1", 0)])  # noqa: DTZ001
    queued = ok(post(admin, f"{DEVICES}{sibling.pk}/operations/", {"operation": "time.sync"}), 202)
    command_url = f"{COMMANDS}{queued['commands'][0]['id']}/"
    event_url = f"{EVENTS}{ok(admin.get(EVENTS))['results'][0]['id']}/"
    member = token_client(cast.a_member)

    assert serials(member.get(DEVICES)) == ["SN-BRANCH"]
    assert ok(member.get(COMMANDS))["count"] == 0
    assert ok(member.get(EVENTS))["count"] == 0
    assert [g["group"] for g in ok(member.get(GROUPS))["results"]] == [cast.a_sub_group.pk]
    assert_error(member.get(command_url), 404, "not_found")
    assert_error(post(member, f"{command_url}cancel/"), 404, "not_found")
    assert_error(member.get(event_url), 404, "not_found")
    assert ok(admin.get(command_url))["state"] == "queued"
    for device in (top, sibling):
        url = f"{DEVICES}{device.pk}/"
        assert_error(member.get(url), 404, "not_found")
        assert_error(member.get(f"{url}commands/"), 404, "not_found")
        assert_error(
            post(member, f"{url}operations/", {"operation": "time.sync"}), 404, "not_found"
        )
        assert_error(
            post(
                member, f"{GROUPS}{device.device_group_id}/operations/", {"operation": "time.sync"}
            ),
            404,
            "not_found",
        )
    assert (command_count(top), command_count(sibling)) == (0, 1)
    branch_group = default_device_group(cast.a_sub_group)
    body = {"devices": [top.pk], "device_group": branch_group.pk}
    error = assert_error(post(member, f"{DEVICES}move/", body), 400, "invalid")
    assert error["fields"] == {"devices": [f'Invalid pk "{top.pk}" - object does not exist.']}
    after = stored(top.pk)
    assert after is not None
    assert after.group_id == cast.a_admin.group_id


def test_another_enterprises_administrator_gets_404_for_everything_of_a(
    cast: Any, admin: Client, make_device: MakeDevice
) -> None:
    device = make_device("SN-FRONT", name="Front door", online=False)
    with tenant_scope(cast.enterprise_a.pk):
        ingest.store_events(device, [ingest.EventRow(datetime(2025, 3, 1), "1", 0)])  # noqa: DTZ001
    command = ok(post(admin, f"{DEVICES}{device.pk}/operations/", {"operation": "time.sync"}), 202)
    command_id = command["commands"][0]["id"]
    package = ok(upload(admin), 201)
    event_id = ok(admin.get(EVENTS))["results"][0]["id"]
    b_admin = token_client(cast.b_admin)
    url = f"{DEVICES}{device.pk}/"

    for url_path in ("", "commands/", "failures/", "events/", "operation-logs/"):
        assert_error(b_admin.get(f"{url}{url_path}"), 404, "not_found")
    for url_path, body in (
        ("operations/", {"operation": "device.reboot"}),
        ("parameters/", {"values": {"volume": 1}}),
        ("repush/", {}),
    ):
        assert_error(post(b_admin, f"{url}{url_path}", body), 404, "not_found")
    assert_error(patch(b_admin, url, {"name": "Stolen"}), 404, "not_found")
    assert_error(b_admin.delete(url), 404, "not_found")
    group_url = f"{GROUPS}{device.device_group_id}/"
    assert_error(b_admin.get(group_url), 404, "not_found")
    assert_error(patch(b_admin, group_url, {"name": "Stolen"}), 404, "not_found")
    assert_error(
        post(b_admin, f"{group_url}operations/", {"operation": "time.sync"}), 404, "not_found"
    )
    assert_error(b_admin.get(f"{COMMANDS}{command_id}/"), 404, "not_found")
    assert_error(post(b_admin, f"{COMMANDS}{command_id}/cancel/"), 404, "not_found")
    assert_error(b_admin.get(f"{EVENTS}{event_id}/"), 404, "not_found")
    assert_error(b_admin.get(f"{PACKAGES}{package['id']}/"), 404, "not_found")
    assert_error(b_admin.delete(f"{PACKAGES}{package['id']}/"), 404, "not_found")
    for list_url in LIST_ROUTES:
        assert ok(b_admin.get(list_url))["count"] == 0
    error = assert_error(b_admin.get(f"{COMMANDS}?device={device.pk}"), 400, "invalid")
    assert set(error["fields"]) == {"device"}

    after = stored(device.pk)
    assert after is not None
    assert after.name == "Front door"
    assert command_count(device) == 1
    assert ok(admin.get(f"{COMMANDS}{command_id}/"))["state"] == "queued"
