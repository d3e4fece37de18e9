"""The device management console (Smart Pass chapter 3, 5.2.1): what each page shows to whom,
and that every button ends in the service it names, with the service's refusals on screen."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from tests.support import login_client

from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.devices import services, sync
from gatehouse.devices.models import Device, DeviceCommand, DeviceGroup, FirmwarePackage
from gatehouse.tenancy import services as tenancy_services
from gatehouse.tenancy.models import Group

pytestmark = pytest.mark.django_db

MakeDevice = Callable[..., Device]


def get_page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:2000]
    return str(response.content.decode())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def commands_of(device: Device) -> list[DeviceCommand]:
    with platform_scope():
        return list(DeviceCommand.objects.filter(device=device).order_by("id"))


def exists(device: Device) -> bool:
    with platform_scope():
        return Device.objects.filter(pk=device.pk).exists()


def grant_member(cast: Any, *permissions: str) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        tenancy_services.update_role(
            cast.a_role,
            actor=Actor.system("test"),
            permissions=["tenancy.view", "audit.view", *permissions],
        )


@pytest.fixture
def gate(make_device: MakeDevice) -> Device:
    return make_device("AJYS0001", name="Main gate")


@pytest.fixture
def admin(cast: Any) -> Client:
    return login_client("a-admin")


# --- device list ------------------------------------------------------------------------------


def test_device_list_shows_the_enterprise_devices_with_status_and_sync(
    cast: Any, make_device: MakeDevice, admin: Client
) -> None:
    make_device("AJYS0001", name="Main gate")
    make_device("AJYS0002", name="Car park", online=False)
    make_device("BOLT0001", name="Bolt lobby", enterprise=cast.enterprise_b)
    body = get_page(admin, "/devices/")
    assert "Main gate" in body
    assert "AJYS0002" in body
    assert "Bolt lobby" not in body
    assert "BOLT0001" not in body
    assert 'class="badge bg-green-lt" data-testid="status">Online' in body
    assert 'class="badge bg-secondary-lt" data-testid="status">Offline' in body
    assert 'data-testid="sync">0 / 0</span>' in body
    assert "Default device group" in body


def test_device_list_filters_by_status_search_and_device_group(
    cast: Any, make_device: MakeDevice, admin: Client
) -> None:
    make_device("AJYS0001", name="Main gate")
    make_device("AJYS0002", name="Car park", online=False)
    online = get_page(admin, "/devices/?status=online")
    assert "Main gate" in online
    assert "Car park" not in online
    offline = get_page(admin, "/devices/?status=offline")
    assert "Car park" in offline
    assert "Main gate" not in offline
    assert "Main gate" not in get_page(admin, "/devices/?q=AJYS0002")
    with tenant_scope(cast.enterprise_a.pk):
        other = services.create_device_group(
            actor=Actor.for_user(cast.a_admin),
            group=Group.objects.get(pk=cast.a_admin.group_id),
            name="Turnstiles",
        )
    assert "No records found." in get_page(admin, f"/devices/?device_group={other.pk}")


def test_device_list_page_sizes_follow_the_manual(make_device: MakeDevice, admin: Client) -> None:
    for number in range(12):
        make_device(f"AJYS{number:04d}", name=f"Gate {number:02d}")
    body = get_page(admin, "/devices/?per_page=10")
    assert "Showing 1 to 10 of 12 entries" in body
    assert "Showing 1 to 12 of 12 entries" in get_page(admin, "/devices/?per_page=33")  # default 20


def test_member_without_device_permissions_is_refused(cast: Any, gate: Device) -> None:
    member = login_client("a-member")
    for url in (
        "/devices/",
        f"/devices/{gate.pk}/",
        "/devices/groups/",
        "/devices/packages/",
        "/devices/commands/",
        "/devices/pending/",
    ):
        assert member.get(url).status_code == 403, url
    response = member.post("/devices/operate/", {"devices": [gate.pk], "operation": "restart"})
    assert response.status_code == 403
    assert commands_of(gate) == []
    assert 'data-testid="nav-devices"' not in get_page(member, "/")


def test_group_member_sees_only_the_devices_of_its_subtree(
    cast: Any, make_device: MakeDevice
) -> None:
    make_device("AJYS0001", name="Top gate")
    branch = make_device("AJYS0002", name="Branch gate", group=cast.a_sub_group)
    top = make_device("AJYS0003", name="Sibling gate", group=cast.a_sibling_group)
    grant_member(cast, "devices.view")
    member = login_client("a-member")
    body = get_page(member, "/devices/")
    assert "Branch gate" in body
    assert "Top gate" not in body
    assert "Sibling gate" not in body
    get_page(member, f"/devices/{branch.pk}/")
    get_page(member, f"/devices/{top.pk}/", status=404)


def test_other_enterprise_gets_404_for_every_device_route(cast: Any, gate: Device) -> None:
    bolt = login_client("b-admin")
    for url in (
        f"/devices/{gate.pk}/",
        f"/devices/{gate.pk}/edit/",
        f"/devices/{gate.pk}/parameters/",
        f"/devices/{gate.pk}/failures/export/",
    ):
        assert bolt.get(url).status_code == 404, url
    assert bolt.post(f"/devices/{gate.pk}/failures/repush/").status_code == 404
    for url in ("/devices/operate/", "/devices/move/", "/devices/delete/"):
        response = bolt.post(url, {"devices": [gate.pk], "operation": "restart"})
        assert response.status_code == 404, url
    assert commands_of(gate) == []
    assert exists(gate)
    assert "Main gate" not in get_page(bolt, "/devices/")


# --- bulk operations from the list -------------------------------------------------------------


def test_bulk_restart_queues_one_command_per_device_and_says_so(
    make_device: MakeDevice, admin: Client
) -> None:
    first = make_device("AJYS0001", name="Main gate")
    second = make_device("AJYS0002", name="Car park")
    response = admin.post(
        "/devices/operate/",
        {"devices": [first.pk, second.pk], "operation": "restart", "next": "/devices/?q=AJ"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/devices/?q=AJ"
    for device in (first, second):
        (command,) = commands_of(device)
        assert command.operation == "device.reboot"
        assert command.state == DeviceCommand.State.QUEUED
        assert command.actor == "a-admin"
    (message,) = messages_of(response)
    assert message.startswith("Restart queued for 2 devices")
    assert f"Main gate: command {commands_of(first)[0].command_id}" in message


def test_bulk_time_sync_and_volume(make_device: MakeDevice, admin: Client) -> None:
    gate = make_device("AJYS0001", name="Main gate")
    admin.post("/devices/operate/", {"devices": [gate.pk], "operation": "time_sync"})
    admin.post(
        "/devices/operate/",
        {"devices": [gate.pk], "operation": "volume", "volume": "35", "silent_mode": "on"},
    )
    sync_command, volume_command = commands_of(gate)
    assert sync_command.operation == "time.sync"
    assert volume_command.operation == "parameters.set"
    assert volume_command.arguments == {"values": {"volume": 35, "silent_mode": True}}


def test_bulk_volume_out_of_range_is_refused_with_the_service_message(
    gate: Device, admin: Client
) -> None:
    response = admin.post(
        "/devices/operate/",
        {"devices": [gate.pk], "operation": "volume", "volume": "101"},
        follow=True,
    )
    assert messages_of(response) == ["Volume must be between 0 and 100."]
    assert commands_of(gate) == []


def test_bulk_operation_needs_a_selection(admin: Client, gate: Device) -> None:
    response = admin.post("/devices/operate/", {"operation": "restart"}, follow=True)
    assert messages_of(response) == ["Select at least one device."]


def test_deleting_an_online_device_is_refused_and_it_stays(
    make_device: MakeDevice, admin: Client
) -> None:
    online = make_device("AJYS0001", name="Main gate")
    offline = make_device("AJYS0002", name="Old gate", online=False)
    response = admin.post("/devices/delete/", {"devices": [online.pk, offline.pk]}, follow=True)
    assert exists(online)
    assert not exists(offline)
    shown = messages_of(response)
    assert "Deleted: Old gate." in shown
    assert "Not deleted — Main gate: Only offline devices can be deleted." in shown


def test_move_group_moves_the_ticked_devices(
    cast: Any, make_device: MakeDevice, admin: Client
) -> None:
    gate = make_device("AJYS0001", name="Main gate")
    with tenant_scope(cast.enterprise_a.pk):
        target = services.create_device_group(
            actor=Actor.for_user(cast.a_admin), group=cast.a_sub_group, name="Branch doors"
        )
    response = admin.post(
        "/devices/move/", {"devices": [gate.pk], "device_group": target.pk}, follow=True
    )
    assert messages_of(response) == ["1 device moved to Branch / Branch doors."]
    with platform_scope():
        gate.refresh_from_db()
    assert gate.device_group_id == target.pk
    assert gate.group_id == cast.a_sub_group.pk


# --- device details ---------------------------------------------------------------------------


def test_device_page_shows_information_operations_parameters_and_logs(
    gate: Device, admin: Client
) -> None:
    admin.post("/devices/operate/", {"devices": [gate.pk], "operation": "restart"})
    body = get_page(admin, f"/devices/{gate.pk}/")
    for text in (
        "AJYS0001",
        "SpeedFace-V5L",
        "ZAM180-NF-Ver1.0",
        "00:17:61:00:00:01",
        "192.0.2.50",
    ):
        assert text in body
    assert 'data-testid="capabilities"' in body
    assert "Body temperature" in body
    # acc devices restart, sync time, refresh and open doors; they cannot be reset
    for operation in ("restart", "time_sync", "refresh", "door_open"):
        assert f'data-testid="operation-{operation}"' in body
    assert 'data-testid="operation-reset' not in body
    assert 'name="volume"' in body  # the driver's parameters
    assert 'name="door2_lock_seconds"' in body  # LockCount=2
    assert 'data-testid="command-table"' in body
    assert "Restart" in body
    assert 'data-testid="cancel-command"' in body
    assert "The device has reported no events yet." in body


def test_an_att_device_offers_reset(make_device: MakeDevice, admin: Client) -> None:
    terminal = make_device("ATT0001", name="Canteen", dialect="att")
    body = get_page(admin, f"/devices/{terminal.pk}/")
    assert 'data-testid="operation-reset"' in body
    admin.post("/devices/operate/", {"devices": [terminal.pk], "operation": "reset"})
    assert [c.operation for c in commands_of(terminal)] == ["device.clear_data"]


def test_an_operation_the_device_lacks_is_refused(gate: Device, admin: Client) -> None:
    response = admin.post(
        "/devices/operate/", {"devices": [gate.pk], "operation": "reset"}, follow=True
    )
    assert messages_of(response) == [
        "Main gate does not support this operation: Reset (clear data)."
    ]
    assert commands_of(gate) == []


def test_remote_door_opening_and_its_limits(gate: Device, admin: Client) -> None:
    url = f"/devices/{gate.pk}/"
    admin.post(
        "/devices/operate/",
        {"devices": [gate.pk], "operation": "door_open", "door": "2", "seconds": "7", "next": url},
    )
    (command,) = commands_of(gate)
    assert command.arguments == {"door": 2, "seconds": 7}
    response = admin.post(
        "/devices/operate/",
        {"devices": [gate.pk], "operation": "door_open", "door": "1", "seconds": "900"},
        follow=True,
    )
    assert messages_of(response)[-1] == ("Seconds: Ensure this value is less than or equal to 254.")


def test_parameter_form_rejects_volume_101_with_a_clear_message(
    gate: Device, admin: Client
) -> None:
    response = admin.post(f"/devices/{gate.pk}/parameters/", {"volume": "101"})
    assert response.status_code == 200
    assert "Volume must be between 0 and 100." in response.content.decode()
    assert commands_of(gate) == []
    response = admin.post(
        f"/devices/{gate.pk}/parameters/", {"volume": "50", "door1_sensor_type": "2"}
    )
    assert response.status_code == 302
    (command,) = commands_of(gate)
    assert command.arguments == {"values": {"volume": 50, "door1_sensor_type": "2"}}


def test_parameter_form_without_any_value_says_so(gate: Device, admin: Client) -> None:
    response = admin.post(f"/devices/{gate.pk}/parameters/", {})
    assert "Set at least one parameter." in response.content.decode()


def test_edit_device_shows_the_service_refusal(gate: Device, admin: Client) -> None:
    values = {
        "name": "Front gate",
        "address": "Building A",
        "device_group": gate.device_group_id,
        "comm_key": "",
        "utc_offset_minutes": "60",
        "poll_interval": "500",
    }
    response = admin.post(f"/devices/{gate.pk}/edit/", values)
    assert "The poll interval must be between 1 and 300 seconds." in response.content.decode()
    response = admin.post(f"/devices/{gate.pk}/edit/", {**values, "poll_interval": "5"})
    assert response.status_code == 302
    with platform_scope():
        gate.refresh_from_db()
    assert (gate.name, gate.address, gate.poll_interval, gate.utc_offset_minutes) == (
        "Front gate",
        "Building A",
        5,
        60,
    )


def test_a_queued_command_can_be_cancelled(gate: Device, admin: Client) -> None:
    admin.post("/devices/operate/", {"devices": [gate.pk], "operation": "restart"})
    (command,) = commands_of(gate)
    response = admin.post(f"/devices/commands/{command.pk}/cancel/", follow=True)
    assert messages_of(response)[-1] == f"Command {command.command_id} has been cancelled."
    (command,) = commands_of(gate)
    assert command.state == DeviceCommand.State.CANCELLED
    again = admin.post(f"/devices/commands/{command.pk}/cancel/", follow=True)
    assert messages_of(again) == [
        "Only a command the device has not collected yet can be cancelled."
    ]


def test_command_log_lists_commands_of_the_chosen_device(
    make_device: MakeDevice, admin: Client
) -> None:
    first = make_device("AJYS0001", name="Main gate")
    second = make_device("AJYS0002", name="Car park")
    admin.post("/devices/operate/", {"devices": [first.pk], "operation": "restart"})
    admin.post("/devices/operate/", {"devices": [second.pk], "operation": "time_sync"})
    response = admin.get(f"/devices/commands/?device={first.pk}")
    rows = [row.record for row in response.context["table"].paginated_rows]
    assert [(c.device_id, c.operation) for c in rows] == [(first.pk, "device.reboot")]
    assert 'data-testid="cancel-command"' in response.content.decode()


# --- sync status and failures (5.2.1) ----------------------------------------------------------


@pytest.fixture
def failing_gate(cast: Any, gate: Device) -> Device:
    """Main gate holds two persons; one personnel ID is not a number, which this device
    (no StringPinFunOn) cannot take: a failure with its reason."""
    from gatehouse.people import services as people_services

    with tenant_scope(cast.enterprise_a.pk):
        top = Group.objects.get(pk=cast.a_admin.group_id)
        admin = Actor.for_user(cast.a_admin)
        people_services.create_person(actor=admin, personnel_id="1001", first_name="Ada", group=top)
        people_services.create_person(
            actor=admin, personnel_id="AB12", first_name="Grace", last_name="Hopper", group=top
        )
        sync.reconcile(gate)
    return gate


def test_device_page_shows_sync_progress_and_the_failure_table(
    failing_gate: Device, admin: Client
) -> None:
    body = get_page(admin, f"/devices/{failing_gate.pk}/")
    with tenant_scope(failing_gate.enterprise_id or 0):
        progress = sync.progress(failing_gate)
    assert progress["failed"] == 2  # the person and its access rights
    assert f'max="{progress["total"]}" value="{progress["done"]}"' in body
    assert f"{progress['failed']} failed" in body
    assert 'data-testid="failure-table"' in body
    assert "Grace Hopper" in body
    assert "The personnel ID AB12 is not a number" in body
    list_body = get_page(admin, "/devices/")
    assert f'data-testid="sync">0 / {progress["total"]}</span>' in list_body
    assert 'data-testid="sync-failed">2 failed' in list_body


def test_failure_export_is_an_xlsx_of_the_failure_table(
    failing_gate: Device, admin: Client
) -> None:
    response = admin.get(f"/devices/{failing_gate.pk}/failures/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Kind", "Personnel ID", "Person", "Reason")
    assert sorted(row[:3] for row in rows[1:]) == [
        ("Access rights", "AB12", "Grace Hopper"),
        ("Person", "AB12", "Grace Hopper"),
    ]
    assert all("is not a number" in str(row[3]) for row in rows[1:])
    with tenant_scope(failing_gate.enterprise_id or 0):
        entry = LogEntry.objects.get(action="devices.device.failures_exported")
    assert entry.actor_label == "a-admin"


def test_repush_failures_queues_them_again(failing_gate: Device, admin: Client) -> None:
    before = len(commands_of(failing_gate))
    response = admin.post(f"/devices/{failing_gate.pk}/failures/repush/", follow=True)
    (message,) = messages_of(response)
    assert message.startswith("The failed items are sent again")
    # the device still cannot take AB12: it fails again at once, nothing new is queued
    assert len(commands_of(failing_gate)) == before


# --- pending devices --------------------------------------------------------------------------


@pytest.fixture
def pending(cast: Any) -> Device:
    with platform_scope():
        return services.note_contact("NEW0001", driver="zkpush", dialect="acc")


def test_root_sees_and_approves_a_pending_device(cast: Any, pending: Device) -> None:
    root = login_client("root")
    body = get_page(root, "/devices/pending/")
    assert "NEW0001" in body
    assert 'data-testid="nav-devicespending_list"' in body
    form = get_page(root, f"/devices/pending/{pending.pk}/approve/")
    assert 'name="enterprise"' in form
    response = root.post(
        f"/devices/pending/{pending.pk}/approve/",
        {"enterprise": cast.enterprise_a.pk, "group": cast.a_sub_group.pk, "name": "Lobby"},
        follow=True,
    )
    assert messages_of(response) == ["Lobby has been approved for Acme."]
    with platform_scope():
        pending.refresh_from_db()
    assert pending.enterprise_id == cast.enterprise_a.pk
    assert pending.group_id == cast.a_sub_group.pk
    assert "NEW0001" not in get_page(root, "/devices/pending/")
    assert "Lobby" in get_page(login_client("a-admin"), "/devices/")


def test_approving_into_another_enterprises_group_shows_the_refusal(
    cast: Any, pending: Device
) -> None:
    root = login_client("root")
    response = root.post(
        f"/devices/pending/{pending.pk}/approve/",
        {"enterprise": cast.enterprise_b.pk, "group": cast.a_sub_group.pk},
    )
    assert "That group belongs to another enterprise." in response.content.decode()
    with platform_scope():
        pending.refresh_from_db()
    assert pending.is_pending


def test_enterprise_administrators_cannot_see_or_approve_pending_devices(
    cast: Any, pending: Device
) -> None:
    admin = login_client("a-admin")
    assert admin.get("/devices/pending/").status_code == 403
    url = f"/devices/pending/{pending.pk}/approve/"
    assert admin.get(url).status_code == 403
    assert admin.post(url, {"enterprise": cast.enterprise_a.pk}).status_code == 403
    with platform_scope():
        pending.refresh_from_db()
    assert pending.is_pending
    body = get_page(admin, "/")
    assert 'data-testid="nav-devicespending_list"' not in body
    assert 'data-testid="nav-devicesdevice_list"' in body


# --- device groups ----------------------------------------------------------------------------


def test_device_groups_add_rename_and_delete_only_when_empty(
    cast: Any, gate: Device, admin: Client
) -> None:
    body = get_page(admin, "/devices/groups/")
    assert "Default device group" in body
    response = admin.post(
        "/devices/groups/add/", {"name": "Turnstiles", "group": cast.a_admin.group_id}
    )
    assert response.status_code == 302
    with tenant_scope(cast.enterprise_a.pk):
        turnstiles = DeviceGroup.objects.get(name="Turnstiles")
    admin.post(f"/devices/groups/{turnstiles.pk}/edit/", {"name": "Gates"})
    assert "Gates" in get_page(admin, "/devices/groups/")
    admin.post("/devices/move/", {"devices": [gate.pk], "device_group": turnstiles.pk})
    refused = admin.post(f"/devices/groups/{turnstiles.pk}/delete/")
    assert "Only an empty device group can be deleted" in refused.content.decode()
    with tenant_scope(cast.enterprise_a.pk):
        default = DeviceGroup.objects.get(group_id=cast.a_admin.group_id, is_default=True)
    admin.post("/devices/move/", {"devices": [gate.pk], "device_group": default.pk})
    assert admin.post(f"/devices/groups/{turnstiles.pk}/delete/").status_code == 302
    with tenant_scope(cast.enterprise_a.pk):
        assert not DeviceGroup.objects.filter(pk=turnstiles.pk).exists()


def test_bulk_operation_on_an_empty_group_prompts_to_choose_again(cast: Any, admin: Client) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        empty = services.create_device_group(
            actor=Actor.for_user(cast.a_admin), group=cast.a_sub_group, name="Empty"
        )
    url = f"/devices/groups/{empty.pk}/operate/?operation=restart"
    body = get_page(admin, url)
    assert "There is no device in the selected group, please select again." in body
    assert 'data-testid="submit"' not in body
    response = admin.post(url)
    assert "There is no device in the selected group, please select again." in (
        response.content.decode()
    )


def test_bulk_operation_on_a_group_warns_then_queues_for_each_device(
    cast: Any, make_device: MakeDevice, admin: Client
) -> None:
    first = make_device("AJYS0001", name="Main gate")
    second = make_device("AJYS0002", name="Car park")
    group_id = first.device_group_id
    chooser = get_page(admin, f"/devices/groups/{group_id}/operate/")
    assert 'data-testid="choose-volume"' in chooser
    url = f"/devices/groups/{group_id}/operate/?operation=volume"
    body = get_page(admin, url)
    assert "the original settings of the 2 devices in this group will be overwritten." in body
    response = admin.post(url, {"volume": "40"}, follow=True)
    (message,) = messages_of(response)
    assert message.startswith("Volume setting queued for 2 devices")
    for device in (first, second):
        (command,) = commands_of(device)
        assert command.arguments == {"values": {"volume": 40, "silent_mode": False}}
    parameters = get_page(admin, f"/devices/groups/{group_id}/operate/?operation=parameters")
    assert 'name="door1_lock_seconds"' in parameters
    make_device("ATT0001", name="Canteen", dialect="att")  # no door parameters
    shared = get_page(admin, f"/devices/groups/{group_id}/operate/?operation=parameters")
    assert 'name="volume"' in shared
    assert 'name="door1_lock_seconds"' not in shared


def test_bulk_group_operation_refuses_another_enterprises_group(cast: Any, gate: Device) -> None:
    bolt = login_client("b-admin")
    url = f"/devices/groups/{gate.device_group_id}/operate/?operation=restart"
    assert bolt.get(url).status_code == 404
    assert bolt.post(url).status_code == 404
    assert commands_of(gate) == []


# --- packages (3.2) ----------------------------------------------------------------------------


def test_packages_upload_list_use_and_delete(cast: Any, gate: Device, admin: Client) -> None:
    upload = SimpleUploadedFile("client.apk", b"PK\x03\x04 client 2.1")
    response = admin.post(
        "/devices/packages/add/", {"name": "Face client", "version": "2.1", "file": upload}
    )
    assert response.status_code == 302
    with tenant_scope(cast.enterprise_a.pk):
        package = FirmwarePackage.objects.get()
    body = get_page(admin, "/devices/packages/")
    assert "Face client" in body
    assert package.md5 in body
    assert "a-admin" in body
    assert "Face client 2.1" in get_page(admin, f"/devices/{gate.pk}/")
    admin.post(
        "/devices/operate/",
        {"devices": [gate.pk], "operation": "upgrade", "package": package.pk},
    )
    (command,) = commands_of(gate)
    assert command.operation == "firmware.upgrade"
    refused = admin.post(f"/devices/packages/{package.pk}/delete/")
    assert "Devices are still being upgraded with this package." in refused.content.decode()
    admin.post(f"/devices/commands/{command.pk}/cancel/")
    assert admin.post(f"/devices/packages/{package.pk}/delete/").status_code == 302
    with tenant_scope(cast.enterprise_a.pk):
        assert not FirmwarePackage.objects.exists()


def test_an_empty_package_is_refused_with_the_service_message(admin: Client) -> None:
    response = admin.post(
        "/devices/packages/add/",
        {"name": "Face client", "version": "2.1", "file": SimpleUploadedFile("a.apk", b"")},
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_other_enterprise_cannot_use_or_see_a_package(cast: Any, gate: Device) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        package = services.upload_package(
            actor=Actor.for_user(cast.a_admin),
            enterprise_id=cast.enterprise_a.pk,
            name="Acme client",
            version="1.0",
            upload=io.BytesIO(b"client"),
        )
    bolt = login_client("b-admin")
    assert "Acme client" not in get_page(bolt, "/devices/packages/")
    assert bolt.post(f"/devices/packages/{package.pk}/delete/").status_code == 404


# --- dashboard --------------------------------------------------------------------------------


def test_dashboard_counts_devices_online_and_offline(
    make_device: MakeDevice, admin: Client
) -> None:
    make_device("AJYS0001")
    make_device("AJYS0002", online=False)
    make_device("AJYS0003", online=False)
    cards = {card["label"]: card["value"] for card in admin.get("/").context["cards"]}
    assert cards["Devices online"] == 1
    assert cards["Devices offline"] == 2


def test_sync_counts_match_sync_progress(failing_gate: Device, make_device: MakeDevice) -> None:
    from gatehouse.devices import selectors

    idle = make_device("AJYS0009")
    with tenant_scope(failing_gate.enterprise_id or 0):
        counts = selectors.sync_counts([failing_gate.pk, idle.pk])
        assert counts[failing_gate.pk] == sync.progress(failing_gate)
    assert idle.pk not in counts


# --- screenshots ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
def test_device_screenshots(
    asgi_server: Any, cast: Any, make_device: MakeDevice, page: Any, tmp_path: Path
) -> None:
    """docs/screenshots/devices-list.png and device-detail.png, written there only with
    GATEHOUSE_SCREENSHOTS=1 (as tests/browser/test_screenshots.py does)."""
    from tests.browser.screenshots import (
        DOCS_SCREENSHOTS,
        run_outside_browser_loop,
        set_theme,
        settle,
    )

    out_dir = DOCS_SCREENSHOTS if os.environ.get("GATEHOUSE_SCREENSHOTS") == "1" else tmp_path
    detail_id = run_outside_browser_loop(lambda: seed_devices(cast, make_device))
    page.goto(f"{asgi_server.url}/login/")
    page.locator("input[name=username]").fill("a-admin")
    page.locator("input[name=password]").fill("Correct-Horse-42")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{asgi_server.url}/")
    for name, path in (
        ("devices-list.png", "/devices/"),
        ("device-detail.png", f"/devices/{detail_id}/"),
    ):
        page.goto(asgi_server.url + path)
        set_theme(page, "light")
        settle(page)
        page.screenshot(path=str(out_dir / name), full_page=bool(os.environ.get("FULLPAGE")))
        assert (out_dir / name).stat().st_size > 10_000


def seed_devices(cast: Any, make_device: MakeDevice) -> int:
    """A few devices that look lived in: online and offline, queued and finished commands,
    people in sync and one failure."""
    from gatehouse.devices import commands, ingest
    from gatehouse.people import services as people_services

    gate = make_device("AJYS220160001", name="Main gate")
    make_device("AJYS220160002", name="Car park barrier", online=False)
    make_device("AJYS220160003", name="Branch lobby", group=cast.a_sub_group)
    make_device("CQZ7232260044", name="Canteen terminal", dialect="att")
    admin = Actor.for_user(cast.a_admin)
    with tenant_scope(cast.enterprise_a.pk):
        top = Group.objects.get(pk=cast.a_admin.group_id)
        for pid, first, last in (
            ("1001", "Ada", "Lovelace"),
            ("1002", "Alan", "Turing"),
            ("1003", "Grace", "Hopper"),
            ("QA7", "Edsger", "Dijkstra"),
        ):
            people_services.create_person(
                actor=admin, personnel_id=pid, first_name=first, last_name=last, group=top
            )
        sync.reconcile(gate)
        for command in DeviceCommand.objects.filter(device=gate, is_sync=True)[:2]:
            commands.record_results(gate, [commands.CommandResult(command.command_id, 0)])
        services.run_operation([gate], "time.sync", actor=admin)
        services.run_operation([gate], "device.reboot", actor=admin)
    morning = timezone.localtime().replace(hour=8, minute=0, second=0, tzinfo=None)
    ingest.store_events(
        gate,
        [
            ingest.EventRow(
                local_time=morning + timedelta(minutes=7 * number),
                identity=str(number),
                event_code=0,
                door=1,
                verify_mode=15,
                pin=pin,
                temperature=Decimal(temperature),
                mask=True,
            )
            for number, (pin, temperature) in enumerate(
                (("1001", "36.4"), ("1002", "36.7"), ("1003", "36.5")), start=1
            )
        ],
    )
    ingest.store_operation_logs(
        gate, [ingest.OperationRow(local_time=morning, operation=0, administrator="0")]
    )
    return gate.pk
