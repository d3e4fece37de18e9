"""The Attendance PUSH (att/ADMS) side of /iclock, against exchanges shaped like the
reference's §3 examples."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.devices.models import Device, DeviceEvent, Enrolment, EventPhoto, OperationLog

pytestmark = pytest.mark.django_db
SN = "CQZ7232460123"


@pytest.fixture
def att_device(device_client: Any, approve: Any) -> Any:
    client = device_client(SN)
    client.get("cdata", options="all", pushver="2.4.1", language="69")
    approve(SN)
    return client


def _device() -> Device:
    with platform_scope():
        device: Device = Device.objects.get(serial_number=SN)
    return device


def test_handshake_names_the_device_and_its_options(att_device: Any) -> None:
    reply = att_device.get("cdata", options="all", pushver="2.4.1", language="69").content.decode()
    lines = reply.split("\n")
    assert lines[0] == f"GET OPTION FROM: {SN}"
    assert "Delay=2" in lines
    assert any(line.startswith("TransFlag=TransData AttLog\t") for line in lines)
    assert "TimeZone=0" in lines
    assert _device().dialect == "att"


def test_pending_att_device_keeps_its_punches(device_client: Any, cast: Any) -> None:
    client = device_client("ATTPENDING")
    client.get("cdata", options="all", pushver="2.4.1")
    response = client.post(
        "cdata", "1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0", table="ATTLOG", Stamp="9999"
    )
    assert response.status_code == 403


def test_attlog_is_acknowledged_with_its_count_and_stored_once(att_device: Any, cast: Any) -> None:
    body = (
        "1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0\n"
        "8965\t2015-07-30 15:16:36\t1\t15\t0\t0\t0\t1\t36.9\n"
    )
    assert att_device.post("cdata", body, table="ATTLOG", Stamp="9999").content == b"OK: 2"
    assert att_device.post("cdata", body, table="ATTLOG", Stamp="9999").content == b"OK: 2"
    with tenant_scope(cast.enterprise_a.pk):
        events = {e.pin: e for e in DeviceEvent.objects.all()}
    assert set(events) == {"1452", "8965"}
    assert events["8965"].in_out == 1
    assert events["8965"].verify_mode == 15
    assert events["8965"].temperature == 36.9
    assert events["8965"].mask is True


def test_operlog_keeps_operations_and_enrolled_users(att_device: Any, cast: Any) -> None:
    body = (
        "OPLOG 4\t0\t2015-07-30 15:16:28\t0\t0\t0\t0\n"
        "USER PIN=982\tName=Ana Diaz\tPri=0\tPasswd=\tCard=[15CD5B07]\tGrp=1"
        "\tTZ=0000000000000000\tVerify=-1\n"
        "FP PIN=982\tFID=1\tSize=8\tValid=1\tTMP=AAAAAAA=\n"
    )
    assert att_device.post("cdata", body, table="OPERLOG", Stamp="9999").content == b"OK: 3"
    with tenant_scope(cast.enterprise_a.pk):
        assert OperationLog.objects.get().operation == 4
        kinds = sorted(Enrolment.objects.values_list("kind", flat=True))
    assert kinds == ["fingerprint", "user"]


def test_attphoto_snapshot_is_stored(att_device: Any, cast: Any) -> None:
    body = (
        b"PIN=20150730151628-1452.jpg\nSN="
        + SN.encode()
        + b"\nsize=4\nCMD=uploadphoto\0\xff\xd8\xff\xd9"
    )
    assert att_device.post("cdata", body, table="ATTPHOTO", Stamp="9999").content == b"OK"
    with tenant_scope(cast.enterprise_a.pk):
        photo = EventPhoto.objects.get()
    assert photo.pin == "1452"
    assert photo.byte_size == 4


def test_info_on_poll_updates_firmware_and_users_go_out_as_userinfo(
    att_device: Any, cast: Any
) -> None:
    from gatehouse.core.actors import Actor
    from gatehouse.people import services
    from gatehouse.tenancy.models import Group

    with tenant_scope(cast.enterprise_a.pk):
        services.create_person(
            actor=Actor.for_user(cast.a_admin),
            personnel_id="1001",
            first_name="Ana",
            last_name="Diaz",
            card_number="123456789",
            group=Group.objects.get(pk=cast.a_admin.group_id),
        )
    reply = att_device.get(
        "getrequest", INFO="Ver 2.0.12-20150625,0,0,0,192.0.2.27,10,7,15,0,111"
    ).content.decode()
    assert _device().firmware == "Ver 2.0.12-20150625"
    user_lines = [line for line in reply.split("\n") if "USERINFO" in line]
    assert len(user_lines) == 1
    command_id = user_lines[0].split(":")[1]
    assert user_lines[0].endswith(
        "DATA UPDATE USERINFO PIN=1001\tName=Ana Diaz\tPri=0\tPasswd=\tCard=[15CD5B07]"
        "\tGrp=1\tTZ=0000000000000000\tVerify=-1"
    )
    att_device.post("devicecmd", f"ID={command_id}&Return=0&CMD=DATA")
    from gatehouse.devices import sync

    with tenant_scope(cast.enterprise_a.pk):
        assert sync.progress(_device())["done"] == 1
