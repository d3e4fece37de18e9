"""Periodic jobs. Every worker ticks every few seconds; a due entry is claimed with a
conditional UPDATE (`SET next_run_at = new WHERE name = x AND next_run_at = old`), so with any
number of workers each due run is queued exactly once, without locks or a leader."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from gatehouse.core.actors import Actor
from gatehouse.core.jobs.base import enqueue
from gatehouse.core.jobs.registry import get_runner, periodic_jobs
from gatehouse.core.models import Job, ScheduledJob
from gatehouse.core.scoping import platform_scope

logger = logging.getLogger(__name__)

SCHEDULER_ACTOR = Actor.system("scheduler")


class DueEntry(NamedTuple):
    name: str
    seen_next_run_at: datetime  # what this worker read: the claim succeeds only if unchanged
    busy: bool  # the previous run is still queued or running: skip this run, do not pile up


def due_entries(now: datetime) -> list[DueEntry]:
    """The periodic jobs due at `now`. Creates missing entries (due at once) and pulls in a
    next run that an interval shortened in code has made too far away. Reads first, so an
    idle tick writes nothing."""
    specs = periodic_jobs()
    stored = {row.name: row for row in ScheduledJob.objects.filter(name__in=list(specs))}
    due = []
    for name, every in specs.items():
        seconds = int(every.total_seconds())
        row = stored.get(name)
        if row is None:
            ScheduledJob.objects.bulk_create(
                [ScheduledJob(name=name, every_seconds=seconds, next_run_at=now)],
                ignore_conflicts=True,
            )
            row = ScheduledJob.objects.get(name=name)
        if row.every_seconds != seconds:
            ScheduledJob.objects.filter(name=name).update(every_seconds=seconds)
        if row.next_run_at > now + every and ScheduledJob.objects.filter(
            name=name, next_run_at=row.next_run_at
        ).update(next_run_at=now + every):
            row.next_run_at = now + every
        if row.next_run_at <= now:
            busy = Job._base_manager.filter(kind=name, status__in=Job.ACTIVE_STATUSES).exists()
            due.append(DueEntry(name, row.next_run_at, busy))
    return sorted(due, key=lambda entry: entry.seen_next_run_at)


def claim(entry: DueEntry, now: datetime) -> Job | None:
    """Move the entry to its next run and queue this run, in one transaction. Returns None
    if another worker claimed it first (the UPDATE matched no row) or the entry is busy."""
    every = periodic_jobs().get(entry.name)
    runner = get_runner(entry.name)
    if every is None or runner is None:
        return None
    with transaction.atomic():
        claimed = ScheduledJob.objects.filter(
            name=entry.name, next_run_at=entry.seen_next_run_at
        ).update(next_run_at=now + every, last_run_at=now)
        if claimed != 1:
            return None
        if entry.busy:
            logger.info("periodic job %s is still queued or running; skipped", entry.name)
            return None
        job = enqueue(runner, actor=SCHEDULER_ACTOR, enterprise_id=None)
        ScheduledJob.objects.filter(name=entry.name).update(last_job=job)
    return job


def tick(now: datetime | None = None) -> list[Job]:
    """Queue every periodic job that is due. Safe to call from any number of workers."""
    now = now or timezone.now()
    queued = []
    with platform_scope():
        for entry in due_entries(now):
            job = claim(entry, now)
            if job is not None:
                logger.info("scheduled %s (job %s)", entry.name, job.pk)
                queued.append(job)
    return queued


def next_runs() -> dict[str, tuple[timedelta, datetime | None]]:
    """For display: each periodic job's interval and next run."""
    stored = dict(ScheduledJob.objects.values_list("name", "next_run_at"))
    return {name: (every, stored.get(name)) for name, every in periodic_jobs().items()}
