"""The /iclock endpoints against raw requests shaped like the reference's example exchanges."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.devices.models import Device, DeviceCommand, DeviceEvent
from gatehouse.drivers.zkpush.tests.conftest import ACC_REGISTRY

pytestmark = pytest.mark.django_db


def _device(sn: str) -> Device:
    with platform_scope():
        device: Device = Device.objects.get(serial_number=sn)
    return device


def test_unknown_device_is_recorded_pending_and_gets_nothing(device_client: Any, cast: Any) -> None:
    client = device_client("NEW0001")
    handshake = client.get("cdata", options="all", pushver="3.1.2", DeviceType="acc")
    assert handshake.status_code == 200
    assert handshake.content == b"OK"
    assert handshake["Content-Type"].startswith("text/plain")
    assert "Date" in handshake
    refused = client.post("registry", ACC_REGISTRY)
    assert refused.status_code == 406
    upload = client.post(
        "cdata", "time=2025-01-10 09:12:44\tpin=1\tevent=0\tindex=1", table="rtlog"
    )
    assert upload.status_code == 403  # not OK: the device keeps its records
    assert client.get("getrequest").content == b"OK"
    device = _device("NEW0001")
    assert device.is_pending
    assert device.dialect == "acc"
    assert device.model == "SpeedFace-V5L"
    assert device.capabilities["faces"] is True


def test_approved_acc_device_registers_and_gets_registry_block(acc_device: Any) -> None:
    response = acc_device.post("registry", ACC_REGISTRY)
    assert response.content.decode().startswith("RegistryCode=")
    code = response.content.decode().split("=", 1)[1]
    handshake = acc_device.get(
        "cdata", options="all", pushver="3.1.2", DeviceType="acc"
    ).content.decode()
    lines = handshake.split("\n")
    assert lines[0] == "registry=ok"
    assert f"RegistryCode={code}" in lines
    assert "TransTables=User Transaction" in lines
    push = acc_device.post("push", "").content.decode()
    assert "RequestDelay=2" in push.split("\n")


@pytest.mark.parametrize("suffix", ["", ".aspx", "/", ".aspx/"])
def test_path_variants_reach_the_same_endpoint(device_client: Any, cast: Any, suffix: str) -> None:
    client = device_client("VARIANT1")
    response = client.client.get(f"/iclock/cdata{suffix}", {"SN": "VARIANT1", "options": "all"})
    assert response.status_code == 200
    assert response.content == b"OK"


def test_rtlog_is_stored_once_and_acknowledged(acc_device: Any, cast: Any) -> None:
    line = (
        "time=2025-01-10 09:12:44\tpin=445966\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=0"
        "\tverifytype=15\tindex=40\tsitecode=0\tlinkid=0\tmaskflag=1\ttemperature=36.6"
        "\tconvtemperature=0\r\n"
    )
    for _attempt in range(2):  # the device re-sends on any doubt
        response = acc_device.post("cdata", line, table="rtlog")
        assert response.content == b"OK"
    with tenant_scope(cast.enterprise_a.pk):
        events = list(DeviceEvent.objects.all())
    assert len(events) == 1
    assert events[0].pin == "445966"
    assert events[0].temperature == 36.6
    assert events[0].mask is True
    assert events[0].verify_mode == 15


def test_door_state_rows_in_rtlog_update_the_device(acc_device: Any) -> None:
    acc_device.post(
        "cdata",
        "time=2025-01-10 09:12:44\tsensor=02\trelay=00\talarm=0100000000000000\tdoor=01",
        table="rtlog",
    )
    assert _device(acc_device.sn).door_states["sensor"] == "02"


def test_bad_body_gets_400_not_500(acc_device: Any) -> None:
    response = acc_device.post("cdata", "this is not a record", table="rtlog")
    assert response.status_code == 400
    assert b"bad request" in response.content


def test_oversized_body_is_refused(acc_device: Any) -> None:
    response = acc_device.post("cdata", "x" * (5 * 1024 * 1024), table="rtlog")
    assert response.status_code == 413


def test_commands_are_collected_and_results_recorded(acc_device: Any, cast: Any) -> None:
    from gatehouse.core.actors import Actor
    from gatehouse.devices import services

    device = _device(acc_device.sn)
    with tenant_scope(cast.enterprise_a.pk):
        services.run_operation(
            [device], "door.open", {"door": 1, "seconds": 5}, actor=Actor.for_user(cast.a_admin)
        )
    reply = acc_device.get("getrequest").content.decode()
    command_line = [line for line in reply.split("\n") if "CONTROL DEVICE" in line]
    assert command_line == [f"C:{command_line[0].split(':')[1]}:CONTROL DEVICE 01010105"]
    command_id = command_line[0].split(":")[1]
    assert (
        acc_device.post("devicecmd", f"ID={command_id}&Return=0&CMD=CONTROL DEVICE").content
        == b"OK"
    )
    with tenant_scope(cast.enterprise_a.pk):
        command = DeviceCommand.objects.get(command_id=command_id)
    assert command.state == DeviceCommand.State.DONE
    assert command.return_code == 0


def test_a_poll_that_takes_the_last_commands_lets_the_next_polls_skip_the_database(
    acc_device: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """After one change, every device polls for it, answers, then polls again: the third
    request must not be a full poll. A command nobody answers is re-queued by the watch and
    signalled, so it is handed out again."""
    from datetime import timedelta

    from django.utils import timezone

    from gatehouse.core.actors import Actor
    from gatehouse.devices import commands, services

    device = _device(acc_device.sn)
    first = acc_device.get("getrequest").content.decode()  # the approval's own work
    ids = [line.split(":")[1] for line in first.split("\n") if line.startswith("C:")]
    acc_device.post("devicecmd", "\n".join(f"ID={command_id}&Return=0" for command_id in ids))
    with tenant_scope(cast.enterprise_a.pk), django_capture_on_commit_callbacks(execute=True):
        services.run_operation([device], "device.reboot", actor=Actor.for_user(cast.a_admin))
    assert commands.work_state(device.pk)[1] is False
    assert "CONTROL DEVICE" in acc_device.get("getrequest").content.decode()
    assert commands.work_state(device.pk)[1] is True  # drained: the next polls skip the database
    with tenant_scope(cast.enterprise_a.pk):
        DeviceCommand.objects.filter(device=device).update(
            sent_at=timezone.now() - commands.ANSWER_TIMEOUT - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert commands.expire_overdue(device) == 1
    assert commands.work_state(device.pk)[1] is False
    assert "CONTROL DEVICE" in acc_device.get("getrequest").content.decode()


def test_stored_events_are_published_after_commit(
    acc_device: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gatehouse.core import events

    heard: list[tuple[str, dict[str, Any]]] = []

    def listener(name: str, _enterprise: Any, _path: str, payload: dict[str, Any]) -> None:
        heard.append((name, payload))

    events.subscribe("devices.event.", listener)
    line = "time=2025-01-10 09:12:44\tpin=77\tevent=102\teventaddr=1\tindex=9\ttemperature=37.9"
    try:
        with django_capture_on_commit_callbacks(execute=True):
            acc_device.post("cdata", line, table="rtlog")
            acc_device.post("cdata", line, table="rtlog")  # a re-send is not news
    finally:
        events.unsubscribe("devices.event.", listener)
    assert [name for name, _payload in heard] == ["devices.event.received"]
    payload = heard[0][1]
    assert payload["event_code"] == 102
    assert payload["temperature"] == 37.9
    assert payload["local_time"] == "2025-01-10T09:12:44"
