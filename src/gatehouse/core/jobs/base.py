"""The job base class, the context a running job talks to, and `enqueue`.

A job is a `JobRunner` subclass with a registered `kind`. `enqueue` writes the Job row and the
django-tasks row in the caller's transaction: if the caller rolls back, nothing was queued.
Every job runs through the one task `gatehouse.core.jobs.tasks.run_job`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import PurePath
from typing import IO, Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from gatehouse.core.actors import Actor
from gatehouse.core.events import publish, send_now
from gatehouse.core.jobs import registry
from gatehouse.core.models import Job

logger = logging.getLogger(__name__)

# The console sees progress at most this often (seconds); more would only load the database.
PROGRESS_INTERVAL = 0.25
# A job log is for people; past this size further lines are dropped (with one note saying so).
LOG_LIMIT = 512 * 1024
# Failure rows kept in a job's summary for the page; the result file has them all.
SUMMARY_ROWS = 500


class JobCancelled(Exception):  # noqa: N818 - it is a request, not an error
    """Raised by `ctx.check_cancelled()` once someone has asked the job to stop."""


class JobRunner:
    """Subclass, set `kind` ("app.name", unique) and `title`, implement `run(ctx)`.

    Defining the subclass registers it; put job classes in the app's `jobs.py` so that workers
    import them too."""

    kind: ClassVar[str] = ""
    title: ClassVar[str | Promise] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):
            registry.register(cls)

    def run(self, ctx: JobContext) -> None:
        raise NotImplementedError


def job_event_payload(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.pk,
        "kind": job.kind,
        "object": job.title,
        "status": job.status,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "note": job.progress_note,
    }


def send_progress_now(job: Job) -> None:
    """Progress is not a business change: it goes out at once, even while the job's own
    transaction is still open (after-commit would show it only at the end)."""
    send_now(
        {
            "type": "gatehouse.event",
            "event": "core.job.progress",
            "enterprise_id": job.enterprise_id,
            "group_path": job.group_path,
            "payload": job_event_payload(job),
        }
    )


def _in_own_connection(func: Callable[[], object]) -> None:
    """Run a small write on a separate database connection (a short-lived thread has its own),
    so that it commits even while this thread's transaction stays open."""
    failures: list[BaseException] = []

    def target() -> None:
        try:
            func()
        except Exception as exc:  # progress is best effort; the job itself goes on
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="gatehouse-job-progress", daemon=True)
    thread.start()
    thread.join()
    if failures:
        logger.warning("could not record job progress: %s", failures[0])


class JobContext:
    """What a running job sees: its Job row, its arguments, progress, log, result file and
    cancellation. Writes to the Job row commit on their own, so the console shows progress
    live while the job's own work may still be inside a transaction."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.arguments: dict[str, Any] = dict(job.arguments or {})
        # Transactions open when the job started (a test's, for instance) are not the job's own.
        self._base_depth = len(connection.atomic_blocks)
        self._pending: dict[str, Any] = {}
        self._pending_log: list[str] = []
        self._log_size = len(job.log)
        self._log_truncated = False
        self._last_flush = float("-inf")
        self._last_log_flush = float("-inf")

    # --- for job code ---------------------------------------------------------------------

    def progress(self, done: int, total: int | None = None, *, note: str | None = None) -> None:
        """Report `done` of `total` steps (total may be given once and then left out), with
        an optional short note shown beside the counter ("3 failed")."""
        if total is None:
            total = self.job.progress_total
        if done < 0 or total < 0:
            raise ValueError("progress must not be negative")
        self.job.progress_done = min(done, total) if total else done
        self.job.progress_total = total
        self._pending.update(
            progress_done=self.job.progress_done, progress_total=self.job.progress_total
        )
        if note is not None:
            self.job.progress_note = note[:200]
            self._pending["progress_note"] = self.job.progress_note
        final = bool(total) and done >= total
        if final or time.monotonic() - self._last_flush >= PROGRESS_INTERVAL:
            self.flush()

    def log(self, line: str) -> None:
        """Append a timestamped line to the job's log."""
        self._append(line, limited=True)

    def _append(self, line: str, *, limited: bool) -> None:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        text = f"{stamp} {line.rstrip()}\n"
        if limited and self._log_size + len(text) > LOG_LIMIT:
            if self._log_truncated:
                return
            self._log_truncated = True
            text = f"{stamp} {_('(The log is full: further lines are not kept.)')}\n"
        self._log_size += len(text)
        self.job.log += text
        self._pending_log.append(text)
        # A single line shows at once; a burst of lines is written together.
        if time.monotonic() - self._last_log_flush >= PROGRESS_INTERVAL:
            self.flush()

    def check_cancelled(self) -> None:
        """Raise JobCancelled if someone asked this job to stop. Call it between steps."""
        requested = (
            Job._base_manager.filter(pk=self.job.pk)
            .values_list("cancel_requested", flat=True)
            .first()
        )
        if requested:
            self.job.cancel_requested = True
            raise JobCancelled

    def save_result(self, filename: str, content: bytes | IO[bytes]) -> None:
        """Store the job's result file (offered for download on the Jobs page)."""
        name = get_valid_filename(PurePath(filename).name) or "result"
        previous = self.job.result_file.name if self.job.result_file else ""
        payload: File[Any] = ContentFile(content) if isinstance(content, bytes) else File(content)
        self.job.result_file.save(name, payload, save=False)
        self.job.result_name = name[:255]
        self._pending.update(result_file=self.job.result_file.name, result_name=name[:255])
        self.flush()
        if previous and previous != self.job.result_file.name:
            self.job.result_file.storage.delete(previous)

    def set_summary(
        self,
        *,
        counts: list[tuple[str, int]],
        failure_columns: list[str] | None = None,
        failures: list[list[Any]] | None = None,
        failures_total: int | None = None,
    ) -> None:
        """What the job page shows at the end: labelled counts and a table of failures (the
        first SUMMARY_ROWS; the full table belongs in the result file)."""
        rows = [[str(cell) for cell in row] for row in (failures or [])[:SUMMARY_ROWS]]
        self.job.summary = {
            "counts": [[str(label), int(value)] for label, value in counts],
            "failure_columns": [str(c) for c in (failure_columns or [])],
            "failures": rows,
            "failures_total": len(failures or []) if failures_total is None else failures_total,
        }
        self._pending["summary"] = self.job.summary
        self.flush()

    def flush(self) -> bool:
        """Write pending progress and log lines now (the context does it by itself at most
        four times a second; call this before waiting on something slow). Returns False when
        the write has to wait: on SQLite while the job holds a write transaction nobody else
        can write anyway; it is written at the next chance or when the job ends."""
        self._last_flush = time.monotonic()
        if self._pending_log:
            self._last_log_flush = self._last_flush
        values = dict(self._pending)
        if self._pending_log:
            values["log"] = Concat(F("log"), Value("".join(self._pending_log)))
        if values:
            job_id = self.job.pk
            if len(connection.atomic_blocks) <= self._base_depth:
                Job._base_manager.filter(pk=job_id).update(**values)
            elif connection.vendor != "sqlite":
                _in_own_connection(lambda: Job._base_manager.filter(pk=job_id).update(**values))
            else:
                send_progress_now(self.job)
                return False
            self._pending.clear()
            self._pending_log.clear()
        send_progress_now(self.job)
        return True

    # --- for the runtime ------------------------------------------------------------------

    def finish(self, status: str, *, error: str = "", lines: tuple[str, ...] = ()) -> bool:
        """Record the outcome (only if the job is still running) and announce it after commit."""
        for line in lines:  # the outcome is always logged, even into a full log
            self._append(line, limited=False)
        now = timezone.now()
        values = dict(self._pending)
        values.update(status=status, finished_at=now, error=error)
        if self._pending_log:
            values["log"] = Concat(F("log"), Value("".join(self._pending_log)))
        updated = Job._base_manager.filter(pk=self.job.pk, status=Job.Status.RUNNING).update(
            **values
        )
        self._pending.clear()
        self._pending_log.clear()
        self.job.refresh_from_db()
        if updated:
            publish(
                "core.job.finished",
                enterprise_id=self.job.enterprise_id,
                group_path=self.job.group_path,
                payload=job_event_payload(self.job),
            )
        return bool(updated)


def _default_group_path(actor: Actor, enterprise_id: int | None) -> str:
    """Who sees the job: the acting user's group subtree, else the whole enterprise."""
    if enterprise_id is None:
        return ""
    user = actor.user
    if user is not None and user.enterprise_id == enterprise_id and user.group_id is not None:
        return user.group_path
    from gatehouse.tenancy.models import Group

    top = (
        Group._base_manager.filter(enterprise_id=enterprise_id, parent__isnull=True)
        .order_by("pk")
        .values_list("path", flat=True)
        .first()
    )
    return str(top or "")


def enqueue(
    runner_cls: type[JobRunner],
    *,
    actor: Actor,
    enterprise_id: int | None,
    group_path: str = "",
    title: str | Promise | None = None,
    **arguments: Any,
) -> Job:
    """Create the Job row and queue its task, both in the caller's transaction.

    `arguments` must be JSON values (the job receives them as `ctx.arguments`). `group_path`
    defaults to the acting user's group (or the enterprise's top group for system actors)."""
    from gatehouse.core.jobs.tasks import run_job

    if not runner_cls.kind or registry.get_runner(runner_cls.kind) is not runner_cls:
        raise ImproperlyConfigured(f"{runner_cls.__qualname__} is not a registered job")
    try:
        json.dumps(arguments)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job arguments must be JSON values: {exc}") from exc
    user = actor.user if actor.user is not None and actor.user.pk else None
    with transaction.atomic():
        job = Job(
            enterprise_id=enterprise_id,
            created_by=user,
            kind=runner_cls.kind,
            title=str(title or runner_cls.title or runner_cls.kind)[:200],
            group_path=group_path or _default_group_path(actor, enterprise_id),
            arguments=arguments,
        )
        job.save(force_insert=True)
        result = run_job.enqueue(job.pk)
        job.task_id = str(result.id)
        Job._base_manager.filter(pk=job.pk).update(task_id=job.task_id)
        publish(
            "core.job.queued",
            enterprise_id=enterprise_id,
            group_path=job.group_path,
            payload=job_event_payload(job),
        )
    return job
