"""Writes on jobs that people make: cancelling. (Queueing is `enqueue`, called by the
services that start jobs, inside their own transaction.)"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus

from gatehouse.audit.services import record, snapshot
from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.events import publish
from gatehouse.core.jobs.base import enqueue, job_event_payload
from gatehouse.core.models import Job

__all__ = ["cancel_job", "enqueue"]

AUDITED_FIELDS = ("status", "cancel_requested", "progress_done", "progress_total")


def _worker_gone(job: Job) -> bool:
    """The job says running but its task has ended: the worker died under it."""
    from django_tasks_db.models import DBTaskResult

    if not job.task_id:
        return False
    status = DBTaskResult.objects.filter(id=job.task_id).values_list("status", flat=True).first()
    return status is None or status in {TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL}


@transaction.atomic
def cancel_job(job: Job, *, actor: Actor) -> Job:
    """A queued job is cancelled at once; a running one stops at its next check."""
    locked = Job._base_manager.select_for_update().get(pk=job.pk)
    if locked.status not in Job.ACTIVE_STATUSES:
        raise ServiceError(_("This job has already finished."), code="finished")
    if locked.cancel_requested and locked.status == Job.Status.RUNNING and not _worker_gone(locked):
        raise ServiceError(_("Cancellation has already been requested."), code="cancelling")
    before = snapshot(locked, AUDITED_FIELDS)
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    values: dict[str, object] = {"cancel_requested": True}
    if locked.status == Job.Status.QUEUED or _worker_gone(locked):
        values.update(status=Job.Status.CANCELLED, finished_at=timezone.now())
        line = _("Cancelled by %(actor)s.") % {"actor": actor.label}
    else:
        line = _("Cancellation requested by %(actor)s.") % {"actor": actor.label}
    Job._base_manager.filter(pk=locked.pk).update(
        log=Concat(F("log"), Value(f"{stamp} {line}\n")), **values
    )
    locked.refresh_from_db()
    record(
        "core.job.cancel_requested",
        actor=actor,
        enterprise_id=locked.enterprise_id,
        obj=locked,
        before=before,
        after=snapshot(locked, AUDITED_FIELDS),
        group_path=locked.group_path,
    )
    if locked.status == Job.Status.CANCELLED:
        publish(
            "core.job.finished",
            enterprise_id=locked.enterprise_id,
            group_path=locked.group_path,
            payload=job_event_payload(locked),
        )
    job.refresh_from_db()
    return locked
