"""Gatehouse and the independent device simulator (`gatehouse_sim`, written from the protocol
reference) talking over HTTP through the real ASGI application: what a real ZKTeco device would
see. The server handles device requests on its own threads with their own database
connections, so these tests commit for real (transactional database)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.devices import commands
from gatehouse.devices import services as device_services
from gatehouse.devices.models import Device, DeviceEvent
from gatehouse.people import capture
from gatehouse.people import services as people_services
from gatehouse.tenancy.models import Group
from gatehouse_sim.client import SimDevice
from tests import face_images

pytestmark = pytest.mark.django_db(transaction=True)
SERVER = "http://gatehouse.test"


@pytest.fixture
def transport() -> httpx.ASGITransport:
    from gatehouse.asgi import application

    return httpx.ASGITransport(app=application)


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def _approve(cast: Any, sn: str) -> None:
    with platform_scope():
        device = Device.objects.get(serial_number=sn)
        device_services.approve_device(
            device, actor=Actor.for_user(cast.superadmin), enterprise=cast.enterprise_a
        )


def _person(cast: Any, pid: str, **values: Any) -> Any:
    with tenant_scope(cast.enterprise_a.pk):
        group = Group.objects.get(pk=cast.a_admin.group_id)
        return people_services.create_person(
            actor=Actor.for_user(cast.a_admin), personnel_id=pid, first_name=f"P{pid}",
            group=values.pop("group", group), **values,
        )  # fmt: skip


async def _settle(device: SimDevice, rounds: int = 20) -> int:
    """Poll until the server has nothing more to send; returns commands executed."""
    executed = 0
    for _round in range(rounds):
        count = await device.poll_once()
        executed += count
        if count == 0:
            return executed
    raise AssertionError("the server kept sending commands")


def test_pending_then_approved_device_syncs_persons_and_faces(cast: Any, transport: Any) -> None:
    device = SimDevice(SERVER, "E2EACC01", "acc", transport=transport, temperature=True)
    assert _run(device.connect()) is False  # unknown: recorded as pending
    assert device.pending
    with platform_scope():
        assert Device.objects.get(serial_number="E2EACC01").is_pending
    _approve(cast, "E2EACC01")
    photo = face_images.portrait()
    ana = _person(cast, "1001", card_number="123456")
    _person(cast, "1002")
    with tenant_scope(cast.enterprise_a.pk):
        people_services.set_photo(ana, actor=Actor.for_user(cast.a_admin), data=photo)

    async def scenario() -> None:
        assert await device.connect() is True
        await _settle(device)

    _run(scenario())
    assert set(device.state.users) == {"1001", "1002"}
    assert device.state.users["1001"].card == "123456"
    assert device.state.photo("1001") == photo
    assert all(code == 0 for _id, _text, code in device.command_log)


def test_punch_arrives_as_an_event_of_the_person_with_temperature(
    cast: Any, transport: Any
) -> None:
    device = SimDevice(SERVER, "E2EACC02", "acc", transport=transport, temperature=True, mask=True)
    _run(device.connect())
    _approve(cast, "E2EACC02")
    person = _person(cast, "2001")

    async def scenario() -> int:
        await device.connect()
        await _settle(device)
        record = device.punch("2001", temperature=36.8)
        assert record.event == 0  # the device let the synced person in
        return await device.flush()

    assert _run(scenario()) == 1
    with tenant_scope(cast.enterprise_a.pk):
        event = DeviceEvent.objects.get(event_code=0)
    assert event.person_id == person.pk
    assert event.temperature == 36.8
    assert event.mask is True


def test_offline_backlog_catches_up_without_duplicates(cast: Any, transport: Any) -> None:
    device = SimDevice(SERVER, "E2EATT01", "att", transport=transport)
    _run(device.connect())
    _approve(cast, "E2EATT01")

    async def scenario() -> None:
        await device.connect()
        device.go_offline()
        for number in range(60):
            device.punch(str(3000 + number))
        assert await device.flush() == 0  # offline: nothing leaves the device
        device.go_online()
        assert await device.flush() == 60

    _run(scenario())
    with tenant_scope(cast.enterprise_a.pk):
        assert DeviceEvent.objects.count() == 60
        assert DeviceEvent.objects.values("occurred_at", "pin").distinct().count() == 60


def test_changed_and_removed_person_reach_the_device_at_its_next_poll(
    cast: Any, transport: Any
) -> None:
    device = SimDevice(SERVER, "E2EACC03", "acc", transport=transport)
    _run(device.connect())
    _approve(cast, "E2EACC03")
    person = _person(cast, "4001")
    gone = _person(cast, "4002")
    _run(device.connect())
    _run(_settle(device))
    with tenant_scope(cast.enterprise_a.pk):
        people_services.update_person(person, actor=Actor.for_user(cast.a_admin), first_name="Ana")
        people_services.delete_person(gone, actor=Actor.for_user(cast.a_admin))
    _run(_settle(device))
    assert device.state.users["4001"].name.startswith("Ana")
    assert "4002" not in device.state.users


def test_remote_door_opening_is_executed_and_reported(cast: Any, transport: Any) -> None:
    device = SimDevice(SERVER, "E2EACC04", "acc", transport=transport)
    _run(device.connect())
    _approve(cast, "E2EACC04")
    _run(device.connect())
    _run(_settle(device))
    with tenant_scope(cast.enterprise_a.pk):
        stored = Device.objects.get(serial_number="E2EACC04")
        (command,) = device_services.run_operation(
            [stored], "door.open", {"door": 1, "seconds": 5}, actor=Actor.for_user(cast.a_admin)
        )

    async def scenario() -> None:
        await _settle(device)
        await device.flush()

    _run(scenario())
    with tenant_scope(cast.enterprise_a.pk):
        command.refresh_from_db()
        assert command.state == "done"
        assert DeviceEvent.objects.filter(event_code=8).exists()  # "remote open" from the device


def test_register_from_device_sets_the_persons_photo(cast: Any, transport: Any) -> None:
    device = SimDevice(SERVER, "E2EACC05", "acc", transport=transport)
    photo = face_images.portrait("biden.jpg")
    device.state.enroll_jpeg = lambda _pin: photo  # the device camera (cannot run here)
    _run(device.connect())
    _approve(cast, "E2EACC05")
    person = _person(cast, "5001")
    _run(device.connect())
    _run(_settle(device))
    with tenant_scope(cast.enterprise_a.pk):
        stored = Device.objects.get(serial_number="E2EACC05")
        message = capture.request_capture(person, stored.pk, actor=Actor.for_user(cast.a_admin))
    assert "waiting" in message

    async def scenario() -> None:
        await _settle(device)
        await device.flush()

    _run(scenario())
    with tenant_scope(cast.enterprise_a.pk):
        person.refresh_from_db()
        assert person.photo is not None


def test_idle_polls_are_answered_without_django_until_there_is_work(
    cast: Any, transport: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatehouse.devices.middleware import DeviceASGIHandler

    device = SimDevice(SERVER, "E2EACC06", "acc", transport=transport)
    _run(device.connect())
    _approve(cast, "E2EACC06")
    _run(device.connect())
    _run(_settle(device))
    assert _run(device.poll_once()) == 0  # the full view finds nothing: the device is idle now

    full_views: list[str] = []
    original = DeviceASGIHandler.get_response_async

    async def counting(self: Any, request: Any) -> Any:
        full_views.append(request.path)
        return await original(self, request)

    monkeypatch.setattr(DeviceASGIHandler, "get_response_async", counting)
    assert _run(device.poll_once()) == 0
    assert full_views == []  # answered from the cache
    with tenant_scope(cast.enterprise_a.pk):
        stored = Device.objects.get(serial_number="E2EACC06")
        device_services.run_operation([stored], "device.reboot", actor=Actor.for_user(cast.a_admin))
    assert _run(device.poll_once()) == 1  # work was signalled: the full view hands it out
    assert "/iclock/getrequest" in full_views
    assert _run(device.poll_once()) == 0
    assert commands.work_state(stored.pk)[1]  # idle again
    with platform_scope():
        device_services.update_device(stored, actor=Actor.for_user(cast.a_admin), name="Lobby")
    # other server processes keep a copy of the device: the change moves their work counter
    assert not commands.work_state(stored.pk)[1]
