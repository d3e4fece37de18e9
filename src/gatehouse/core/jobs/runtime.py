"""Running one Job row: re-enter its tenant scope, claim it, run it, record the outcome."""

from __future__ import annotations

import logging
import threading
import traceback
from contextlib import AbstractContextManager

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core.errors import ServiceError
from gatehouse.core.jobs.base import JobCancelled, JobContext, send_progress_now
from gatehouse.core.jobs.registry import get_runner
from gatehouse.core.models import Job
from gatehouse.core.scoping import platform_scope, tenant_scope

logger = logging.getLogger(__name__)

_running: set[int] = set()
_running_lock = threading.Lock()


def abandon_running_jobs() -> int:
    """The process is stopping hard: mark the jobs its threads are running as failed, so none
    is left showing "running" forever."""
    with _running_lock:
        ids = list(_running)
    if not ids:
        return 0
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Stopping "now" must not wait on a row a job's own transaction holds.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
            return Job._base_manager.filter(pk__in=ids, status=Job.Status.RUNNING).update(
                status=Job.Status.FAILED,
                finished_at=timezone.now(),
                error=_("The worker was stopped while this job was running."),
            )
    except OperationalError:
        logger.warning("could not mark jobs %s failed: their rows are locked", ids)
        return 0


def _scope_for(job: Job) -> AbstractContextManager[None]:
    if job.enterprise_id is None:
        return platform_scope()
    return tenant_scope(job.enterprise_id)


def execute(job_id: int) -> str:
    """Run the job and return its final status. A job that is no longer queued (cancelled
    before it started, or delivered twice) is left alone."""
    job = Job._base_manager.filter(pk=job_id).first()
    if job is None:
        logger.warning("job %s no longer exists; nothing to run", job_id)
        return "missing"
    with _scope_for(job):
        claimed = Job._base_manager.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, started_at=timezone.now()
        )
        job.refresh_from_db()
        if not claimed:
            return str(job.status)
        ctx = JobContext(job)
        with _running_lock:
            _running.add(job.pk)
        send_progress_now(job)
        try:
            runner_cls = get_runner(job.kind)
            if runner_cls is None:
                raise ServiceError(_("Unknown job type “%(kind)s”.") % {"kind": job.kind})
            if job.cancel_requested:
                raise JobCancelled
            runner_cls().run(ctx)
        except JobCancelled:
            ctx.finish(Job.Status.CANCELLED, lines=(_("Cancelled."),))
        except Exception as exc:
            message = exc.message if isinstance(exc, ServiceError) else str(exc)
            message = (message or type(exc).__name__)[:4000]
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            ctx.finish(
                Job.Status.FAILED,
                error=message,
                lines=(
                    _("Failed: %(error)s") % {"error": message},
                    traceback.format_exc()[-20000:],
                ),
            )
        except BaseException:
            # The worker is being stopped hard (second signal): say so, then let it stop.
            ctx.finish(
                Job.Status.FAILED,
                error=_("The worker was stopped while this job was running."),
            )
            raise
        else:
            ctx.finish(Job.Status.SUCCEEDED, lines=(_("Finished."),))
        finally:
            with _running_lock:
                _running.discard(job.pk)
        return str(ctx.job.status)
