"""/api/v1/jobs/: list and read jobs, cancel one, download its result file."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from gatehouse.core.actors import Actor
from gatehouse.core.api.viewsets import TenantReadOnlyViewSet
from gatehouse.core.jobs.services import cancel_job
from gatehouse.core.models import Job

LIST_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "title",
    "status",
    "progress_done",
    "progress_total",
    "progress_note",
    "percent",
    "cancel_requested",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "error",
    "result_name",
    "result_url",
)


class JobSerializer(serializers.ModelSerializer[Job]):
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    percent = serializers.IntegerField(read_only=True)
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = LIST_FIELDS
        read_only_fields = LIST_FIELDS

    @extend_schema_field(OpenApiTypes.URI)
    def get_result_url(self, job: Job) -> str | None:
        if not job.result_file:
            return None
        path = reverse("job-result", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class JobDetailSerializer(JobSerializer):
    class Meta(JobSerializer.Meta):
        fields = (*LIST_FIELDS, "log", "arguments", "summary")
        read_only_fields = fields


class JobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Job.Status.choices)
    kind = django_filters.CharFilter()

    class Meta:
        model = Job
        fields = ("status", "kind")


class JobViewSet(TenantReadOnlyViewSet):
    """Jobs the caller may see (its enterprise, its group subtree)."""

    model = Job
    permission_app = "core"
    permission_actions = {"cancel": "cancel", "result": "view"}
    serializer_class = JobSerializer
    filterset_class = JobFilter
    search_fields = ("title", "kind")
    ordering_fields = ("created_at", "finished_at", "status", "title")
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Job]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no user, no scope
            return Job._base_manager.none()
        return super().get_queryset().select_related("created_by")

    def check_permissions(self, request: Request) -> None:
        """Who started a job may follow it (read it, fetch its result) without `core.view`,
        as on the console: imports started through /api/v1/people/ answer with the job."""
        try:
            super().check_permissions(request)
        except exceptions.PermissionDenied:
            own = self.action in {"retrieve", "result"} and (
                Job.objects.visible_to(request.user)
                .filter(pk=self.kwargs.get("pk"), created_by_id=request.user.pk)
                .exists()
            )
            if not own:
                raise

    def get_serializer_class(self) -> Any:
        if self.action in {"retrieve", "cancel"}:
            return JobDetailSerializer
        return JobSerializer

    @extend_schema(
        request=None,
        responses={200: JobDetailSerializer},
        description="Cancel a job: a queued job is cancelled at once, a running one stops at "
        "its next step.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = cancel_job(self.get_object(), actor=Actor.from_request(request._request))
        return Response(JobDetailSerializer(job, context=self.get_serializer_context()).data)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The job's result file."
            )
        },
        description="Download the job's result file (404 when it has none).",
    )
    @action(detail=True, methods=["get"])
    def result(self, request: Request, pk: str | None = None) -> FileResponse:
        job = self.get_object()
        name = job.result_file.name if job.result_file else None
        if not name or not job.result_file.storage.exists(name):
            raise Http404
        return FileResponse(
            job.result_file.open("rb"), as_attachment=True, filename=job.result_name or "result"
        )
