"""Desired-state sync seen from the device: what a poll hands out after persons change, and
what the device's answers do to the failure table."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest
from django.db import connection

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.devices import sync
from gatehouse.devices.models import Device, Holding

pytestmark = pytest.mark.django_db
COMMAND = re.compile(r"^C:([A-Za-z0-9]+):(.*)$")


def _poll(client: Any) -> list[tuple[str, str]]:
    """One poll; returns (id, text) per command (multi-record bodies joined by LF)."""
    text = client.get("getrequest").content.decode()
    commands: list[tuple[str, str]] = []
    for line in text.split("\n"):
        match = COMMAND.match(line)
        if match:
            commands.append((match.group(1), match.group(2)))
        elif commands and line:
            commands[-1] = (commands[-1][0], commands[-1][1] + "\n" + line)
    return commands


def _answer(client: Any, commands: list[tuple[str, str]], code: int = 0) -> None:
    body = "\n".join(
        f"ID={cid}&Return={code}&CMD={' '.join(text.split()[:2])}" for cid, text in commands
    )
    assert client.post("devicecmd", body).content == b"OK"


def _device(sn: str) -> Device:
    with platform_scope():
        device: Device = Device.objects.select_related("group").get(serial_number=sn)
    return device


@pytest.fixture
def people(cast: Any) -> Any:
    from gatehouse.people import services
    from gatehouse.tenancy.models import Group

    actor = Actor.for_user(cast.a_admin)

    def make(pid: str, **values: Any) -> Any:
        with tenant_scope(cast.enterprise_a.pk):
            group = values.pop("group", None) or Group.objects.get(pk=cast.a_admin.group_id)
            return services.create_person(
                actor=actor, personnel_id=pid, first_name=f"P{pid}", group=group, **values
            )

    return make


def test_first_sync_sends_timezone_then_users_then_rights(
    acc_device: Any, people: Any, cast: Any
) -> None:
    people("1001", card_number="123456")
    people("1002")
    commands = _poll(acc_device)
    texts = [text for _cid, text in commands]
    assert texts[0].startswith("DATA UPDATE timezone TimezoneId=1\t")
    assert texts[1].startswith("DATA UPDATE user ")
    assert "Pin=1001" in texts[1]
    assert "Pin=1002" in texts[1]
    assert "CardNo=123456" in texts[1]
    assert texts[2].startswith("DATA UPDATE userauthorize ")
    assert "AuthorizeDoorId=1" in texts[2]
    _answer(acc_device, commands)
    device = _device(acc_device.sn)
    with tenant_scope(cast.enterprise_a.pk):
        assert sync.progress(device) == {"total": 5, "done": 5, "pending": 0, "failed": 0}
        # re-running changes nothing
        assert sync.reconcile(device) == 0
    assert _poll(acc_device) == []


def test_one_changed_person_reaches_the_device_at_the_next_poll(
    acc_device: Any, people: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gatehouse.people import services

    person = people("1001")
    people("1002")
    _answer(acc_device, _poll(acc_device))
    with tenant_scope(cast.enterprise_a.pk), django_capture_on_commit_callbacks(execute=True):
        services.update_person(person, actor=Actor.for_user(cast.a_admin), first_name="Renamed")
    commands = _poll(acc_device)
    assert len(commands) == 1
    assert "Name=Renamed" in commands[0][1]
    assert "Pin=1002" not in commands[0][1]


def test_deleted_person_is_removed_in_reverse_order(
    acc_device: Any, people: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gatehouse.people import services

    person = people("1001")
    _answer(acc_device, _poll(acc_device))
    with tenant_scope(cast.enterprise_a.pk), django_capture_on_commit_callbacks(execute=True):
        services.delete_person(person, actor=Actor.for_user(cast.a_admin))
    texts = [text for _cid, text in _poll(acc_device)]
    assert texts == ["DATA DELETE userauthorize Pin=1001", "DATA DELETE user Pin=1001"]


def test_refused_batch_is_split_and_failures_are_named(
    acc_device: Any, people: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people("1001")
    people("1002")
    commands = _poll(acc_device)
    user_batch = [c for c in commands if c[1].startswith("DATA UPDATE user ")]
    _answer(acc_device, [c for c in commands if c not in user_batch])
    with django_capture_on_commit_callbacks(execute=True):  # the singles signal the device
        _answer(acc_device, user_batch, code=-18)  # no space
    singles = _poll(acc_device)
    assert [text.split("\t")[1] for _cid, text in singles] == ["Pin=1001", "Pin=1002"]
    _answer(acc_device, singles[:1])
    _answer(acc_device, singles[1:], code=-18)
    device = _device(acc_device.sn)
    with tenant_scope(cast.enterprise_a.pk):
        failed = list(Holding.objects.filter(device=device, state=Holding.State.FAILED))
        assert [(h.kind, h.key) for h in failed] == [("user", "1002")]
        assert "-18" in failed[0].reason
        with django_capture_on_commit_callbacks(execute=True):
            assert sync.repush_failures(device) == 1
    assert "Pin=1002" in _poll(acc_device)[0][1]


def test_non_numeric_personnel_id_fails_without_a_command(
    acc_device: Any, people: Any, cast: Any
) -> None:
    people("AB12")
    texts = [text for _cid, text in _poll(acc_device)]
    assert not any("AB12" in text for text in texts)
    device = _device(acc_device.sn)
    with tenant_scope(cast.enterprise_a.pk):
        failure = Holding.objects.get(device=device, key="AB12", kind="user")
    assert failure.state == Holding.State.FAILED
    assert "not a number" in failure.reason


def test_persons_of_a_sibling_group_are_not_synced(
    device_client: Any, approve: Any, people: Any, cast: Any
) -> None:
    from gatehouse.drivers.zkpush.tests.conftest import ACC_REGISTRY

    client = device_client("BRANCH01")
    client.get("cdata", options="all", pushver="3.1.2", DeviceType="acc")
    client.post("registry", ACC_REGISTRY)
    with platform_scope():
        approve("BRANCH01", group=cast.a_sub_group)
    people("2001", group=cast.a_sub_group)
    people("3001", group=cast.a_sibling_group)
    texts = "\n".join(text for _cid, text in _poll(client))
    assert "Pin=2001" in texts
    assert "Pin=3001" not in texts


def _terminals(device_client: Any, approve: Any, registries: dict[str, str]) -> list[Any]:
    """Face terminals of the administrator's group, each registered with its registry line."""
    clients = []
    for sn, registry in registries.items():
        client = device_client(sn)
        client.get("cdata", options="all", pushver="3.1.2", DeviceType="acc")
        client.post("registry", registry)
        with platform_scope():
            approve(sn)
        clients.append(client)
    return clients


@pytest.fixture
def two_terminals(device_client: Any, approve: Any) -> list[Any]:
    from gatehouse.drivers.zkpush.tests.conftest import ACC_REGISTRY

    return _terminals(device_client, approve, dict.fromkeys(("TWIN0001", "TWIN0002"), ACC_REGISTRY))


def test_devices_of_a_group_share_the_batches_they_both_need(
    two_terminals: list[Any], people: Any, cast: Any
) -> None:
    from gatehouse.devices.models import CommandPayload, DeviceCommand

    people("1001", card_number="123456")
    people("1002")
    first, second = (_poll(client) for client in two_terminals)
    assert [text for _cid, text in first] == [text for _cid, text in second]
    assert "CardNo=123456" in first[1][1]
    with tenant_scope(cast.enterprise_a.pk):
        assert CommandPayload.objects.count() == len(first)
        shared = DeviceCommand.objects.filter(payload__isnull=False)
        assert shared.count() == 2 * len(first)


def test_a_change_between_two_devices_reconciles_reaches_the_second(
    two_terminals: list[Any], people: Any, cast: Any
) -> None:
    """The second device must not get the items computed for the first one when a person
    changed in between, however the change was written (here: a bare UPDATE that bypasses
    the people services)."""
    from gatehouse.people.models import Person

    people("1001", card_number="123456")
    first, second = (_device(client.sn) for client in two_terminals)
    with tenant_scope(cast.enterprise_a.pk):
        sync.reconcile(first)
        Person.objects.filter(personnel_id="1001").update(card_number="654321", last_name="Moved")
        sync.reconcile(second)
    texts = [text for _cid, text in _poll(two_terminals[1])]
    user = next(text for text in texts if text.startswith("DATA UPDATE user "))
    assert "CardNo=654321" in user
    assert "Name=P1001 Moved" in user
    first_user = next(t for _c, t in _poll(two_terminals[0]) if t.startswith("DATA UPDATE user "))
    assert "CardNo=123456" in first_user


@pytest.mark.skipif(connection.vendor != "postgresql", reason="turns are PostgreSQL locks")
def test_a_full_sync_waits_for_its_turn_and_the_next_turn_runs_it(
    two_terminals: list[Any], people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Waiting devices are not made to run a full poll each time they poll (with a hundred
    devices that was most of a sync's CPU): the device whose turn comes reconciles the
    waiting ones too while its turn lasts, and a recheck bounds the wait when no turn
    comes."""
    from gatehouse.devices import commands, services

    people("1001")
    first, second = two_terminals
    key = sync.group_turn_key(_device(first.sn))
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [key])  # a third device's turn
        with django_capture_on_commit_callbacks(execute=True):
            assert _poll(first) == []
            assert _poll(second) == []
            with platform_scope():
                device = _device(first.sn)
                requested, collected = services.poll_for_work(
                    device,
                    version=commands.work_state(device.pk)[0],
                    budget_bytes=65536,
                    max_commands=10,
                )
    assert (requested, collected.handed) == (sync.Requested(waiting=True), [])
    assert requested.recheck == sync.TURN_RECHECK < commands.IDLE_RECHECK
    # the turn is free, but nobody called: the devices wait for their recheck
    assert _poll(first) == []
    assert _poll(second) == []
    version, _idle = commands.work_state(_device(first.sn).pk)
    commands.mark_idle(_device(first.sn).pk, version, recheck=0)  # the recheck passes
    with django_capture_on_commit_callbacks(execute=True):
        texts = [text for _cid, text in _poll(first)]
    assert any("Pin=1001" in text for text in texts)
    # the first device's turn also ran the second's full reconcile: it only collects
    assert _sync_requests(second.sn) == []
    assert [operation for operation, _records in _queued(second.sn)][:2] == [
        "timezone.put",
        "user.put",
    ]
    texts = [text for _cid, text in _poll(second)]
    assert any("Pin=1001" in text for text in texts)


def test_a_device_that_reports_more_doors_gets_its_rights_again(
    acc_device: Any, people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gatehouse.drivers.zkpush.tests.conftest import ACC_REGISTRY

    people("1001")
    first = _poll(acc_device)
    assert any("AuthorizeDoorId=1" in text for _cid, text in first)
    _answer(acc_device, first)
    with django_capture_on_commit_callbacks(execute=True):
        acc_device.post("registry", ACC_REGISTRY.replace("LockCount=1", "LockCount=2"))
    again = [text for _cid, text in _poll(acc_device)]
    assert again == ["DATA UPDATE userauthorize Pin=1001\tAuthorizeTimezoneId=1\tAuthorizeDoorId=3"]


def _queued(sn: str) -> list[tuple[str, Any]]:
    """The operation and records of the device's queued commands, oldest first."""
    from gatehouse.devices import commands
    from gatehouse.devices.models import DeviceCommand

    with platform_scope():
        queued = DeviceCommand.objects.filter(
            device__serial_number=sn, state=DeviceCommand.State.QUEUED
        ).order_by("id")
        return [(c.operation, commands.arguments_of(c).get("records")) for c in queued]


def _sync_requests(sn: str) -> list[int | None]:
    from gatehouse.devices.models import SyncRequest

    return list(
        SyncRequest.objects.filter(device__serial_number=sn).values_list("person_id", flat=True)
    )


def test_one_changed_person_is_queued_for_every_device_before_they_poll(
    two_terminals: list[Any], people: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The devices' polls only collect: the change is reconciled for all of them when it
    commits, so every device has it at its next poll."""
    from gatehouse.people import services

    person = people("1001")
    people("1002")
    for client in two_terminals:
        _answer(client, _poll(client))
    with tenant_scope(cast.enterprise_a.pk), django_capture_on_commit_callbacks(execute=True):
        services.update_person(person, actor=Actor.for_user(cast.a_admin), first_name="Renamed")
    for client in two_terminals:
        ((operation, records),) = _queued(client.sn)
        assert (operation, [(r["pin"], r["name"]) for r in records]) == (
            "user.put",
            [("1001", "Renamed")],
        )
        assert _sync_requests(client.sn) == []
        (command,) = _poll(client)
        assert "Name=Renamed" in command[1]
        _answer(client, [command])
    with tenant_scope(cast.enterprise_a.pk):
        held = Holding.objects.filter(person=person, kind="user")
        assert sorted(held.values_list("state", flat=True)) == ["confirmed", "confirmed"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL")
@pytest.mark.django_db(transaction=True)  # the other connection must see the device rows
def test_a_device_in_the_middle_of_a_poll_gets_the_change_at_its_next_one(
    two_terminals: list[Any], people: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gatehouse.people import services

    person = people("1001")
    for client in two_terminals:
        _answer(client, _poll(client))
    busy, free = two_terminals
    with psycopg.connect(**connection.get_connection_params()) as other:
        # the busy device's poll holds its row, as getrequest does
        other.execute(
            "SELECT id FROM devices_device WHERE serial_number = %s FOR NO KEY UPDATE", [busy.sn]
        )
        with tenant_scope(cast.enterprise_a.pk), django_capture_on_commit_callbacks(execute=True):
            services.update_person(person, actor=Actor.for_user(cast.a_admin), last_name="Busy")
        assert _queued(busy.sn) == []
        assert _sync_requests(busy.sn) == [person.pk]
        assert len(_queued(free.sn)) == 1
    for client in two_terminals:
        (command,) = _poll(client)
        assert "Name=P1001 Busy" in command[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL")
@pytest.mark.django_db(transaction=True)  # the other connection must see the device rows
def test_a_turn_leaves_a_waiting_device_in_the_middle_of_its_poll_to_itself(
    two_terminals: list[Any], people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people("1001")
    first, busy = two_terminals
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute(
            "SELECT id FROM devices_device WHERE serial_number = %s FOR NO KEY UPDATE", [busy.sn]
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert any("Pin=1001" in text for _cid, text in _poll(first))
        assert _sync_requests(busy.sn) == [None]
        assert _queued(busy.sn) == []
    texts = [text for _cid, text in _poll(busy)]  # its own turn
    assert any("Pin=1001" in text for text in texts)


def test_first_syncs_share_a_plan_only_with_devices_that_refuse_the_same(
    device_client: Any, approve: Any, people: Any
) -> None:
    """A device that takes letters in personnel IDs must get the person another device of
    its group refused, although both first syncs see the same persons."""
    from gatehouse.drivers.zkpush.tests.conftest import ACC_REGISTRY

    people("A17")
    people("1001")
    registries = {"DIGITS01": ACC_REGISTRY, "LETTERS1": ACC_REGISTRY + ",StringPinFunOn=1"}
    clients = _terminals(device_client, approve, registries)
    digits, letters = ("\n".join(text for _cid, text in _poll(c)) for c in clients)
    assert "Pin=1001" in digits
    assert "Pin=A17" not in digits
    assert "Pin=1001" in letters
    assert "Pin=A17" in letters
    with platform_scope():
        failed = Holding.objects.filter(state=Holding.State.FAILED)
        assert set(failed.values_list("device__serial_number", "key")) == {("DIGITS01", "A17")}
