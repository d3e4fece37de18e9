"""The command queue's life cycle: expiry, unanswered commands, cancel, offline announcement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.devices import commands, photos, services
from gatehouse.devices.models import Device, DeviceCommand

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(cast: Any) -> Any:
    with platform_scope():
        pending = services.note_contact("CMD0001", driver="zkpush", dialect="acc")
        approved = services.approve_device(
            pending, actor=Actor.for_user(cast.superadmin), enterprise=cast.enterprise_a
        )
    with tenant_scope(cast.enterprise_a.pk):
        yield Device.objects.select_related("group").get(pk=approved.pk)


def _reload(command: DeviceCommand) -> DeviceCommand:
    reloaded: DeviceCommand = DeviceCommand.objects.get(pk=command.pk)
    return reloaded


def test_a_door_opening_nobody_collected_expires(device: Any, cast: Any) -> None:
    (command,) = services.run_operation(
        [device], "door.open", {"door": 1, "seconds": 5}, actor=Actor.for_user(cast.a_admin)
    )
    assert command.expires_at is not None
    commands.expire_overdue(device, now=timezone.now() + timedelta(minutes=2))
    command = _reload(command)
    assert command.state == DeviceCommand.State.EXPIRED
    assert "in time" in command.result["message"]


def test_an_unanswered_command_is_sent_again_then_fails(device: Any, cast: Any) -> None:
    (command,) = services.run_operation(
        [device], "device.reboot", actor=Actor.for_user(cast.a_admin)
    )
    command.expires_at = None
    command.save()
    for attempt in range(1, command.max_attempts + 1):
        handed = commands.collect(
            device, budget_bytes=10_000, max_commands=10, load_photos=photos.load_many
        )
        assert [c.pk for c, _text in handed.handed] == [command.pk]
        assert _reload(command).attempts == attempt
        later = timezone.now() + commands.ANSWER_TIMEOUT + timedelta(seconds=1)
        DeviceCommand.objects.filter(pk=command.pk).update(
            sent_at=timezone.now() - commands.ANSWER_TIMEOUT * 2
        )
        commands.expire_overdue(device, now=later)
    command = _reload(command)
    assert command.state == DeviceCommand.State.FAILED
    assert command.result["message"] == "The device did not answer."


def test_only_queued_commands_can_be_cancelled(device: Any, cast: Any) -> None:
    actor = Actor.for_user(cast.a_admin)
    (command,) = services.run_operation([device], "device.reboot", actor=actor)
    services.cancel_command(command, actor=actor)
    assert _reload(command).state == DeviceCommand.State.CANCELLED
    with pytest.raises(ServiceError, match="not collected yet"):
        services.cancel_command(_reload(command), actor=actor)


def test_unsupported_operation_is_refused_with_its_name(device: Any, cast: Any) -> None:
    with pytest.raises(ServiceError, match="does not support"):
        services.run_operation([device], "device.clear_data", actor=Actor.for_user(cast.a_admin))


def test_volume_out_of_range_is_refused(device: Any, cast: Any) -> None:
    with pytest.raises(ServiceError, match="between 0 and 100"):
        services.set_parameters([device], {"volume": 101}, actor=Actor.for_user(cast.a_admin))
    assert not DeviceCommand.objects.filter(operation="parameters.set").exists()


def test_offline_is_announced_once(device: Any, django_capture_on_commit_callbacks: Any) -> None:
    from gatehouse.core import events

    heard: list[str] = []

    def listener(name: str, *_args: Any) -> None:
        heard.append(name)

    events.subscribe("devices.device.", listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.note_contact(device.serial_number, driver="zkpush")
        Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.mark_offline_devices() == 1
            assert services.mark_offline_devices() == 0
    finally:
        events.unsubscribe("devices.device.", listener)
    assert heard == ["devices.device.online", "devices.device.offline"]


def test_online_device_cannot_be_deleted(device: Any, cast: Any) -> None:
    services.note_contact(device.serial_number, driver="zkpush")
    device.refresh_from_db()
    with pytest.raises(ServiceError, match="Only offline devices"):
        services.delete_device(device, actor=Actor.for_user(cast.a_admin))
    assert Device.objects.filter(pk=device.pk).exists()


@pytest.mark.django_db(transaction=True)  # the job runner commits and closes connections
def test_the_periodic_watch_announces_silent_devices_and_settles_commands(
    device: Any, cast: Any
) -> None:
    from gatehouse.core.jobs import scheduler
    from gatehouse.core.jobs.worker import run_pending
    from gatehouse.core.models import Job

    (command,) = services.run_operation(
        [device], "door.open", {"door": 1}, actor=Actor.for_user(cast.a_admin)
    )
    DeviceCommand.objects.filter(pk=command.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    Device.objects.filter(pk=device.pk).update(
        reported_online=True, last_seen_at=timezone.now() - timedelta(hours=1)
    )
    with platform_scope():
        queued = [job for job in scheduler.tick(timezone.now()) if job.kind == "devices.watch"]
        assert len(queued) == 1
        run_pending()
        job = Job.objects.get(pk=queued[0].pk)
    assert job.status == Job.Status.SUCCEEDED
    assert "1 device went offline." in job.log
    assert _reload(command).state == DeviceCommand.State.EXPIRED
    assert Device.objects.get(pk=device.pk).reported_online is False


def test_nothing_new_goes_out_while_a_command_awaits_its_answer(device: Any, cast: Any) -> None:
    actor = Actor.for_user(cast.a_admin)
    first, second = (
        services.run_operation([device], "device.reboot", actor=actor)[0],
        services.run_operation([device], "time.sync", actor=actor)[0],
    )

    def collect() -> tuple[list[int], bool]:
        collected = commands.collect(
            device, budget_bytes=40, max_commands=10, load_photos=photos.load_many
        )
        return [c.pk for c, _text in collected.handed], collected.drained

    assert collect() == ([first.pk], False)  # the tiny budget lets one through
    # its answer has not come: the device might run the next one first
    assert collect() == ([], False)
    commands.record_results(device, [commands.CommandResult(first.command_id, 0)])
    assert collect() == ([second.pk], True)


def test_a_face_photo_deleted_before_collection_fails_its_command(device: Any) -> None:
    spec = commands.CommandSpec(
        "face.put",
        {"records": [{"pin": "1", "photo_id": 987654321, "sha256": "0" * 64, "size": 10}]},
        is_sync=True,
        content_digest="f" * 32,
    )
    (command,) = commands.queue_many(device, [spec], actor=Actor.system("test"))
    assert command.payload_id is not None
    collected = commands.collect(
        device, budget_bytes=10_000, max_commands=10, load_photos=photos.load_many
    )
    assert collected == commands.Collected([], drained=True)
    command = _reload(command)
    assert command.state == DeviceCommand.State.FAILED
    assert command.result["message"] == "The face photo no longer exists."


def test_old_finished_commands_and_unused_payloads_are_pruned(device: Any) -> None:
    from gatehouse.devices.models import CommandPayload, Holding

    system = Actor.system("test")
    specs = [
        commands.CommandSpec("user.put", {"records": [{"pin": str(n)}]}, is_sync=True,
                             content_digest=f"{n:032d}")
        for n in range(4)
    ]  # fmt: skip
    old_done, old_failed, recent, still_queued = commands.queue_many(device, specs, actor=system)
    long_ago = timezone.now() - commands.COMMAND_RETENTION - timedelta(days=1)
    DeviceCommand.objects.filter(pk__in=[old_done.pk, old_failed.pk]).update(
        state=DeviceCommand.State.DONE, finished_at=long_ago
    )
    DeviceCommand.objects.filter(pk=recent.pk).update(
        state=DeviceCommand.State.DONE, finished_at=timezone.now()
    )
    CommandPayload.objects.update(created_at=long_ago)
    confirmed = Holding.objects.create(
        enterprise_id=device.enterprise_id, device=device, kind="user", key="0",
        digest="x", state=Holding.State.CONFIRMED, command=old_done,
    )  # fmt: skip
    Holding.objects.create(
        enterprise_id=device.enterprise_id, device=device, kind="user", key="1",
        digest="x", state=Holding.State.FAILED, command=old_failed, reason="refused",
    )  # fmt: skip

    assert commands.prune() == 1
    remaining = set(DeviceCommand.objects.values_list("pk", flat=True))
    assert remaining == {old_failed.pk, recent.pk, still_queued.pk}
    assert CommandPayload.objects.count() == 3
    confirmed.refresh_from_db()
    assert confirmed.state == Holding.State.CONFIRMED
    assert confirmed.command_id is None


def test_the_event_loop_reads_the_work_state_the_threads_write(device: Any) -> None:
    """The idle-poll fast path reads the counter from the event loop (Redis through its
    asyncio client when configured, else the in-process cache)."""
    import asyncio

    def read() -> tuple[int, bool]:
        return asyncio.run(commands.work_state_async(device.pk))

    commands.signal_work(device.pk)
    version, idle = commands.work_state(device.pk)
    assert (version, idle) == read() == (version, False)
    commands.mark_idle(device.pk, version)
    assert read() == (version, True)
    commands.signal_work(device.pk)
    assert read() == (version + 1, False)
    stranger = device.pk + 100_000  # a counter nobody set yet starts at 0
    before = commands.work_state(stranger)[0]
    commands.signal_work_many([device.pk, stranger])
    assert read() == (version + 2, False)
    assert commands.work_state(stranger) == (before + 1, False)


def test_the_event_loop_answers_more_polls_at_once_than_it_has_connections(
    device: Any,
) -> None:
    """A thousand devices coming back at once: the idle-poll fast path waits for a free
    Redis connection instead of failing the poll."""
    import asyncio

    from django.core.cache.backends.redis import RedisCache

    if not isinstance(commands._work_cache(), RedisCache):
        pytest.skip("the in-process cache has no connections")
    commands.signal_work(device.pk)
    version, _idle = commands.work_state(device.pk)

    async def many() -> list[tuple[int, bool]]:
        polls = 5 * commands.LOOP_REDIS_CONNECTIONS
        return await asyncio.gather(*(commands.work_state_async(device.pk) for _ in range(polls)))

    assert set(asyncio.run(many())) == {(version, False)}


def test_a_long_queue_keeps_its_order_and_arguments(device: Any) -> None:
    """A first sync queues hundreds of commands at once (on PostgreSQL through COPY)."""
    count = 700
    specs = [
        commands.CommandSpec("user.put", {"records": [{"pin": str(n)}]}, is_sync=True)
        for n in range(count)
    ]
    queued = commands.queue_many(device, specs, actor=Actor.system("test"))
    assert [int(c.command_id) for c in queued] == sorted(int(c.command_id) for c in queued)
    stored = dict(DeviceCommand.objects.values_list("pk", "arguments"))
    assert len(stored) == count
    for number, command in enumerate(queued):
        assert stored[command.pk] == {"records": [{"pin": str(number)}]}
        assert _reload(command).state == DeviceCommand.State.QUEUED


def test_idle_contacts_are_written_together(device: Any) -> None:
    """Idle polls answered on the event loop buffer their time; one flush writes them."""
    services.SEEN_TIMES.flush()  # what earlier tests in this process left
    long_ago = timezone.now() - timedelta(hours=1)
    Device.objects.filter(pk=device.pk).update(last_seen_at=long_ago)
    device.last_seen_at = long_ago
    services.DEVICE_CACHE.put(device)
    assert services.note_idle_contact(device) is True  # the first pending: schedule a flush
    cached = services.DEVICE_CACHE.get(device.serial_number)
    assert cached is not None
    assert cached.last_seen_at is not None
    assert cached.last_seen_at > long_ago
    assert Device.objects.get(pk=device.pk).last_seen_at == long_ago  # not written yet
    assert services.note_idle_contact(cached) is False  # seen a moment ago: nothing to do
    assert services.SEEN_TIMES.flush() == 1
    assert Device.objects.get(pk=device.pk).last_seen_at == cached.last_seen_at
    assert services.SEEN_TIMES.flush() == 0


def test_one_upload_of_mixed_answers_settles_each_command_once(device: Any, cast: Any) -> None:
    """Plain successes of sync commands are settled together; a duplicated answer, a failure
    and an answer to an ordinary command each take the general path; an unknown id is
    ignored. The holdings a settled command sent are then on the device."""
    from gatehouse.devices.models import Holding

    def user(pin: str) -> dict[str, Any]:
        return {
            "pin": pin, "name": f"P{pin}", "card": "", "password": "",
            "start": None, "end": None, "disabled": False,
        }  # fmt: skip

    specs = [
        commands.CommandSpec("user.put", {"records": [user(pin)]}, is_sync=True)
        for pin in ("1", "2", "3")
    ]
    plain, repeated, refused = commands.queue_many(device, specs, actor=Actor.system("test"))
    (reboot,) = services.run_operation(
        [device], "device.reboot", actor=Actor.for_user(cast.a_admin)
    )
    for pin, command in (("1", plain), ("2", repeated), ("3", refused)):
        Holding.objects.create(
            enterprise_id=device.enterprise_id, device=device, kind="user", key=pin,
            digest="d", state=Holding.State.PENDING, command=command,
        )  # fmt: skip
    collected = commands.collect(
        device, budget_bytes=65536, max_commands=10, load_photos=photos.load_many
    )
    assert len(collected.handed) == 4
    answers = [
        commands.CommandResult(plain.command_id, 0),
        commands.CommandResult(repeated.command_id, 0),
        commands.CommandResult(repeated.command_id, 0),
        commands.CommandResult(refused.command_id, -18),
        commands.CommandResult(reboot.command_id, 0),
        commands.CommandResult("999999", 0),
    ]
    assert commands.record_results(device, answers) == 4
    states = {c.pk: (c.state, c.return_code) for c in map(_reload, (plain, repeated, refused))}
    assert states == {
        plain.pk: (DeviceCommand.State.DONE, 0),
        repeated.pk: (DeviceCommand.State.DONE, 0),
        refused.pk: (DeviceCommand.State.FAILED, -18),
    }
    assert _reload(reboot).state == DeviceCommand.State.DONE
    held = dict(Holding.objects.filter(device=device).values_list("key", "state"))
    assert held == {
        "1": Holding.State.CONFIRMED,
        "2": Holding.State.CONFIRMED,
        "3": Holding.State.FAILED,
    }
    assert commands.record_results(device, answers) == 0  # answered already
