"""Periodic jobs: however many workers tick at once, each due run is queued exactly once; and
the hourly housekeeping job removes what has expired and keeps the rest."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.db import OperationalError, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gatehouse.core.jobs import housekeeping, scheduler
from gatehouse.core.jobs.housekeeping import Housekeeping
from gatehouse.core.jobs.worker import run_pending
from gatehouse.core.models import Job, ScheduledJob
from gatehouse.core.scoping import platform_scope
from gatehouse.tenancy.models import LoginFailure

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")
HOUR = timedelta(hours=1)


def when_unlocked(func: Callable[[], T]) -> T:
    """Retry while SQLite says "locked". A file database waits by itself (busy timeout); the
    in-memory test database shares one cache between threads and refuses at once instead."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return func()
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def housekeeping_jobs() -> list[Job]:
    return list(Job._base_manager.filter(kind=Housekeeping.kind))


def test_two_workers_ticking_at_once_queue_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    both_have_read = threading.Barrier(2)
    read_due, claim = scheduler.due_entries, scheduler.claim

    def due_then_wait(at: Any) -> Any:
        due = when_unlocked(lambda: read_due(at))
        both_have_read.wait(10)  # both workers now hold the same stale "next run" value
        return due

    def claim_when_unlocked(entry: Any, at: Any) -> Any:
        return when_unlocked(lambda: claim(entry, at))

    monkeypatch.setattr(scheduler, "due_entries", due_then_wait)
    monkeypatch.setattr(scheduler, "claim", claim_when_unlocked)
    results: list[list[Job]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(scheduler.tick(now))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(results) == 2
    assert sorted(len([j for j in r if j.kind == Housekeeping.kind]) for r in results) == [0, 1]
    jobs = housekeeping_jobs()
    assert len(jobs) == 1
    assert DBTaskResult.objects.filter(id=jobs[0].task_id).count() == 1
    entry = ScheduledJob.objects.get(name=Housekeeping.kind)
    assert entry.next_run_at == now + HOUR
    assert entry.last_job_id == jobs[0].pk
    assert entry.every_seconds == 3600


@pytest.mark.usefixtures("only_housekeeping")
def test_a_run_is_queued_when_due_and_not_before(monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    assert [j.kind for j in scheduler.tick(now)] == [Housekeeping.kind]  # new entry: due now
    assert scheduler.tick(now) == []
    assert scheduler.tick(now + HOUR - timedelta(seconds=1)) == []
    run_pending()
    assert [j.kind for j in scheduler.tick(now + HOUR)] == [Housekeeping.kind]
    assert len(housekeeping_jobs()) == 2


@pytest.mark.usefixtures("only_housekeeping")
def test_a_run_still_waiting_is_not_piled_up() -> None:
    now = timezone.now()
    scheduler.tick(now)
    assert scheduler.tick(now + 2 * HOUR) == []  # the first run has not even started
    assert len(housekeeping_jobs()) == 1
    assert ScheduledJob.objects.get(name=Housekeeping.kind).next_run_at == now + 3 * HOUR
    run_pending()
    assert len(scheduler.tick(now + 3 * HOUR)) == 1


@pytest.mark.usefixtures("only_housekeeping")
def test_a_shortened_interval_takes_effect_at_once() -> None:
    now = timezone.now()
    ScheduledJob.objects.create(
        name=Housekeeping.kind, every_seconds=86400, next_run_at=now + timedelta(days=1)
    )
    assert scheduler.tick(now) == []
    entry = ScheduledJob.objects.get(name=Housekeeping.kind)
    assert entry.next_run_at == now + HOUR
    assert entry.every_seconds == 3600


def make_task(status: str, finished_ago: timedelta | None) -> Any:
    now = timezone.now()
    return DBTaskResult.objects.create(
        args_kwargs={"args": [0], "kwargs": {}},
        task_path="gatehouse.core.jobs.tasks.run_job",
        backend_name="default",
        status=status,
        started_at=now - timedelta(days=10),
        finished_at=None if finished_ago is None else now - finished_ago,
    )


def make_job(cast: Any, status: str, age: timedelta, *, with_file: bool = False) -> Job:
    job = Job._base_manager.create(
        enterprise_id=cast.enterprise_a.pk,
        kind="tests.old",
        title=f"{status} {age.days}d",
        status=status,
        group_path=cast.a_admin.group.path,
        created_at=timezone.now() - age,
    )
    if with_file:
        job.result_file.save("report.csv", ContentFile(b"a;b\n"), save=True)
    return job


@pytest.mark.usefixtures("only_housekeeping")
def test_housekeeping_removes_what_expired_and_keeps_the_rest(cast: Any) -> None:
    now = timezone.now()
    Session.objects.create(session_key="expired" * 4, session_data="x", expire_date=now - HOUR)
    Session.objects.create(session_key="current" * 4, session_data="x", expire_date=now + HOUR)
    day = timedelta(days=1)
    LoginFailure.objects.create(username="old", address="1", last_failure_at=now - 2 * day)
    LoginFailure.objects.create(
        username="old-lock-over",
        address="1",
        last_failure_at=now - 2 * day,
        locked_until=now - day,
    )
    LoginFailure.objects.create(
        username="old-still-locked",
        address="1",
        last_failure_at=now - 2 * day,
        locked_until=now + HOUR,
    )
    LoginFailure.objects.create(username="recent", address="1", last_failure_at=now - HOUR)
    old_ok = make_task("SUCCESSFUL", timedelta(days=8))
    old_failed = make_task("FAILED", timedelta(days=8))
    recent = make_task("SUCCESSFUL", timedelta(days=6))
    still_running = make_task("RUNNING", None)
    crashed = make_task("FAILED", HOUR)
    old_job = make_job(cast, Job.Status.SUCCEEDED, timedelta(days=31), with_file=True)
    old_file = old_job.result_file.name or ""
    storage = old_job.result_file.storage
    old_failed_job = make_job(cast, Job.Status.FAILED, timedelta(days=40))
    old_but_running = make_job(cast, Job.Status.RUNNING, timedelta(days=31))
    young_job = make_job(cast, Job.Status.SUCCEEDED, timedelta(days=29), with_file=True)
    young_file = young_job.result_file.name or ""
    orphan = make_job(cast, Job.Status.RUNNING, HOUR)
    Job._base_manager.filter(pk=orphan.pk).update(task_id=str(crashed.id))
    assert storage.exists(old_file)
    stray_old = storage.save("jobs/2020/01/left-behind.csv", ContentFile(b"x"))
    stray_new = storage.save("jobs/2020/01/being-written.csv", ContentFile(b"x"))
    two_days_ago = (now - 2 * day).timestamp()
    os.utime(storage.path(stray_old), (two_days_ago, two_days_ago))

    [job] = scheduler.tick(now)
    assert run_pending() == 1
    job = Job._base_manager.get(pk=job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.log
    assert job.enterprise_id is None  # a platform job: only the super administrator sees it
    steps = 6 + len(housekeeping.APP_STEPS)  # ours, then the apps' (people: orphaned photos)
    assert (job.progress_done, job.progress_total) == (steps, steps)
    for line in (
        "Removed 1 expired session.",
        "Removed 2 login failures older than a day.",
        "Removed 2 task results older than 7 days.",
        "Marked 1 job failed whose worker had stopped.",
        "Removed 1 result file of old jobs.",
        "Removed 2 jobs older than 30 days.",
        "Removed 1 result file of deleted jobs.",
    ):
        assert line in job.log

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" * 4]
    assert set(LoginFailure.objects.values_list("username", flat=True)) == {
        "old-still-locked",
        "recent",
    }
    remaining = set(DBTaskResult.objects.values_list("id", flat=True))
    assert old_ok.id not in remaining
    assert old_failed.id not in remaining
    assert {recent.id, still_running.id, crashed.id} <= remaining
    with platform_scope():
        kept = set(Job.objects.values_list("pk", flat=True))
    assert old_job.pk not in kept
    assert old_failed_job.pk not in kept
    assert {old_but_running.pk, young_job.pk, orphan.pk, job.pk} <= kept
    assert not storage.exists(old_file)
    assert storage.exists(young_file)
    assert not storage.exists(stray_old)
    assert storage.exists(stray_new)
    orphan = Job._base_manager.get(pk=orphan.pk)
    assert orphan.status == Job.Status.FAILED
    assert orphan.error == "The worker stopped while this job was running."
