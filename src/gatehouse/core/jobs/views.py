"""Console Jobs pages: the list with live progress bars, a job's log and result, cancelling."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from gatehouse.core.errors import ServiceError
from gatehouse.core.jobs import filtersets, services, tables
from gatehouse.core.models import Job
from gatehouse.core.permissions import has_permission
from gatehouse.core.views import ObjectDetailView, ObjectListView, PermissionRequiredMixin


class JobListView(ObjectListView):
    model = Job
    permission_app = "core"
    table_class = tables.JobTable
    filterset_class = filtersets.JobFilterSet
    template_name = "core/jobs/job_list.html"
    title = gettext_lazy("Jobs")

    def get_queryset(self) -> QuerySet[Job]:
        return super().get_queryset().select_related("created_by")


class OwnJobMixin:
    """Who started a job may follow it (page, result file) without the Jobs permission: an
    import started from the personnel pages lands on its job page."""

    kwargs: dict[str, Any]

    def permits(self, request: HttpRequest) -> bool:
        if super().permits(request):  # type: ignore[misc]
            return True
        return (
            Job.objects.visible_to(request.user)
            .filter(pk=self.kwargs.get("pk"), created_by_id=request.user.pk)
            .exists()
        )


class JobDetailView(OwnJobMixin, ObjectDetailView):
    model = Job
    permission_app = "core"
    template_name = "core/jobs/job_detail.html"
    detail_fields = ("kind", "created_by", "created_at", "started_at", "finished_at")

    def get_queryset(self) -> QuerySet[Job]:
        return super().get_queryset().select_related("created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job: Job = self.object
        context.update(
            title=job.title,
            job=job,
            can_cancel=job.is_active and has_permission(self.request.user, "core.cancel"),
        )
        return context


def visible_job(request: HttpRequest, pk: int) -> Job:
    """A job the user may see, or 404 (another tenant's or another subtree's job is
    indistinguishable from a missing one)."""
    job: Job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    return job


class JobResultView(OwnJobMixin, PermissionRequiredMixin, View):
    model = Job
    permission_app = "core"

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        job = visible_job(request, pk)
        name = job.result_file.name if job.result_file else None
        if not name or not job.result_file.storage.exists(name):
            raise Http404
        return FileResponse(
            job.result_file.open("rb"),
            as_attachment=True,
            filename=job.result_name or "result",
        )


class JobCancelView(PermissionRequiredMixin, View):
    """POST only."""

    model = Job
    permission_app = "core"
    permission_action = "cancel"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = visible_job(request, pk)
        try:
            job = services.cancel_job(job, actor=self.actor)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            if job.status == Job.Status.CANCELLED:
                messages.success(request, _("The job has been cancelled."))
            else:
                messages.success(
                    request, _("Cancellation requested: the job stops at its next step.")
                )
        return redirect("core:job_detail", pk=job.pk)
