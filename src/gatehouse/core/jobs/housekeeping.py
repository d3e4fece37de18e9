"""The hourly clean-up: expired sessions, old login failures, old task results and jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django_tasks import TaskResultStatus

from gatehouse.core.jobs.base import JobContext, JobRunner
from gatehouse.core.jobs.registry import periodic
from gatehouse.core.models import Job

LOGIN_FAILURE_AGE = timedelta(days=1)
TASK_RESULT_AGE = timedelta(days=7)
JOB_AGE = timedelta(days=30)
ORPHAN_FILE_AGE = timedelta(days=1)
BATCH = 500


def clear_sessions() -> int:
    """What `clearsessions` does, counting what it removed when the store can say."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore
    if hasattr(store, "get_model_class"):
        deleted, _rows = (
            store.get_model_class().objects.filter(expire_date__lt=timezone.now()).delete()
        )
        return int(deleted)
    store.clear_expired()
    return 0


def clear_login_failures() -> int:
    """Failures older than a day, unless they still hold a lock."""
    from gatehouse.tenancy.models import LoginFailure

    now = timezone.now()
    deleted, _rows = (
        LoginFailure.objects.filter(last_failure_at__lt=now - LOGIN_FAILURE_AGE)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .delete()
    )
    return deleted


def clear_task_results() -> int:
    from django_tasks_db.models import DBTaskResult

    deleted, _rows = (
        DBTaskResult.objects.finished()
        .filter(finished_at__lt=timezone.now() - TASK_RESULT_AGE)
        .delete()
    )
    return deleted


def fail_orphaned_jobs() -> int:
    """Jobs still marked queued or running whose task has ended (the worker died under them,
    or the task could not start) would show a spinning bar forever: mark them failed."""
    from django_tasks_db.models import DBTaskResult

    ended = {TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL}
    candidates = dict(
        Job._base_manager.filter(status__in=Job.ACTIVE_STATUSES)
        .exclude(task_id="")
        .values_list("task_id", "pk")
    )
    if not candidates:
        return 0
    ended_ids = {
        str(task_id)
        for task_id in DBTaskResult.objects.filter(
            id__in=list(candidates), status__in=ended
        ).values_list("id", flat=True)
    }
    job_ids = [pk for task_id, pk in candidates.items() if task_id in ended_ids]
    return Job._base_manager.filter(pk__in=job_ids, status__in=Job.ACTIVE_STATUSES).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        error=_("The worker stopped while this job was running."),
    )


def clear_jobs(*, keep: int | None = None) -> tuple[int, int]:
    """Finished jobs older than 30 days, with their result files. Returns (jobs, files)."""
    old = Job._base_manager.filter(
        status__in=Job.FINISHED_STATUSES, created_at__lt=timezone.now() - JOB_AGE
    )
    if keep is not None:
        old = old.exclude(pk=keep)
    jobs = files = 0
    while True:
        batch = list(old.values_list("pk", "result_file")[:BATCH])
        if not batch:
            return jobs, files
        for _pk, name in batch:
            if name:
                storage = Job._meta.get_field("result_file").storage
                if storage.exists(name):
                    storage.delete(name)
                    files += 1
        deleted, _rows = Job._base_manager.filter(pk__in=[pk for pk, _name in batch]).delete()
        jobs += deleted


# Clean-up steps of other apps (people: photo files no row points at), run after ours.
APP_STEPS: list[tuple[Callable[[], int], Any]] = []


def add_step(step: Callable[[], int], message: Any) -> None:
    """Apps add a clean-up step: `step()` returns a count, `message` formats it (%(count)d)."""
    if all(existing is not step for existing, _message in APP_STEPS):
        APP_STEPS.append((step, message))


def clear_orphaned_files() -> int:
    """Result files no Job row points to any more (their enterprise was deleted, say)."""
    storage = Job._meta.get_field("result_file").storage
    referenced = set(
        Job._base_manager.exclude(result_file="").values_list("result_file", flat=True)
    )
    return remove_unreferenced_files(storage, "jobs", referenced)


def remove_unreferenced_files(storage: Storage, folder: str, referenced: set[str]) -> int:
    """Delete the files below `folder` that are not in `referenced`. Files younger than a day
    are left alone: the transaction that will point at them may still be running."""
    if not storage.exists(folder):
        return 0
    cutoff = timezone.now() - ORPHAN_FILE_AGE
    removed = 0
    folders = [folder]
    while folders:
        current = folders.pop()
        subfolders, files = storage.listdir(current)
        folders.extend(f"{current}/{name}" for name in subfolders)
        for name in files:
            path = f"{current}/{name}"
            if path not in referenced and storage.get_modified_time(path) < cutoff:
                storage.delete(path)
                removed += 1
    return removed


@periodic(every=timedelta(hours=1))
class Housekeeping(JobRunner):
    kind = "core.housekeeping"
    title = gettext_lazy("Housekeeping")

    def run(self, ctx: JobContext) -> None:
        def jobs_and_their_files() -> int:
            jobs, files = clear_jobs(keep=ctx.job.pk)
            ctx.log(
                ngettext(
                    "Removed %(count)d result file of old jobs.",
                    "Removed %(count)d result files of old jobs.",
                    files,
                )
                % {"count": files}
            )
            return jobs

        steps: tuple[tuple[Callable[[], int], Any], ...] = (
            (
                clear_sessions,
                ngettext_lazy(
                    "Removed %(count)d expired session.",
                    "Removed %(count)d expired sessions.",
                    "count",
                ),
            ),
            (
                clear_login_failures,
                ngettext_lazy(
                    "Removed %(count)d login failure older than a day.",
                    "Removed %(count)d login failures older than a day.",
                    "count",
                ),
            ),
            (
                clear_task_results,
                ngettext_lazy(
                    "Removed %(count)d task result older than 7 days.",
                    "Removed %(count)d task results older than 7 days.",
                    "count",
                ),
            ),
            (
                fail_orphaned_jobs,
                ngettext_lazy(
                    "Marked %(count)d job failed whose worker had stopped.",
                    "Marked %(count)d jobs failed whose worker had stopped.",
                    "count",
                ),
            ),
            (
                jobs_and_their_files,
                ngettext_lazy(
                    "Removed %(count)d job older than 30 days.",
                    "Removed %(count)d jobs older than 30 days.",
                    "count",
                ),
            ),
            (
                clear_orphaned_files,
                ngettext_lazy(
                    "Removed %(count)d result file of deleted jobs.",
                    "Removed %(count)d result files of deleted jobs.",
                    "count",
                ),
            ),
        )
        steps = (*steps, *APP_STEPS)
        for done, (step, message) in enumerate(steps, start=1):
            ctx.check_cancelled()
            ctx.log(str(message % {"count": step()}))
            ctx.progress(done, len(steps))
