"""Base classes for tenant-owned models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gatehouse.tenancy.models import User

SCOPE_DIMENSION = "enterprise"


class TenantQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Restrict to what the user may see: its enterprise (already scoped) and, inside it,
        its own group and the groups below it (Smart Pass 6.1.1). Anonymous: nothing."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        if user.enterprise_id is None or user.group_id is None:
            return self.none()
        qs = self.filter(enterprise_id=user.enterprise_id)
        lookup = self.model.group_path_lookup
        if lookup is None:
            return qs
        return qs.filter(**{f"{lookup}__startswith": user.group_path})


_TenantManagerBase = models.Manager.from_queryset(TenantQuerySet)


class TenantManager(_TenantManagerBase):  # type: ignore[type-arg]
    """django-scopes semantics (pretix): outside a tenant scope every query raises; inside one
    it is filtered to that enterprise. Written as a class (not django-scopes' factory) so that
    type checkers and Django's manager machinery see a real manager."""

    def get_queryset(self) -> TenantQuerySet:
        queryset: TenantQuerySet = super().get_queryset()  # type: ignore[assignment]
        current = get_scope()
        if not current.get("_enabled", True):
            return queryset
        if SCOPE_DIMENSION not in current:
            return DisabledQuerySet(  # type: ignore[no-any-return]
                self.model, using=self._db, missing_scopes={SCOPE_DIMENSION}
            )
        value = current[SCOPE_DIMENSION]
        if isinstance(value, list | tuple):
            return queryset.filter(enterprise_id__in=value)
        if value is None:  # tenant_scope() refuses None; treat a stray None as "nothing"
            return queryset.none()
        return queryset.filter(enterprise_id=value)

    def all(self) -> TenantQuerySet:
        queryset = self.get_queryset()
        return queryset if isinstance(queryset, DisabledQuerySet) else queryset.all()


def enterprise_key(*, indexed: bool = True) -> models.ForeignKey[Any, Any]:
    """TenantModel's `enterprise`. The largest tables are reached through indexes of their
    own (by device, person, time) and redefine it unindexed: an index on the enterprise
    alone would cost every write and tempt the planner into scanning a whole enterprise."""
    return models.ForeignKey(
        "tenancy.Enterprise",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=indexed,
    )


class TenantModel(models.Model):
    """Owned by one enterprise. Queries outside a tenant scope raise (django-scopes)."""

    enterprise = enterprise_key()
    # Lookup from this model to the `path` of the group it belongs to; None = enterprise-wide.
    group_path_lookup: ClassVar[str | None] = "group__path"

    objects = TenantManager()

    class Meta:
        abstract = True


# --- background jobs ------------------------------------------------------------------------


def job_result_path(instance: Job, filename: str) -> str:
    """Result files live under MEDIA_ROOT/jobs/; a random name keeps them unguessable (they
    are only ever served through the permission-checked download view)."""
    from uuid import uuid4

    suffix = Path(filename).suffix[:16]
    return f"jobs/{timezone.now():%Y/%m}/{uuid4().hex}{suffix}"


class Job(models.Model):
    """One run of a background job (DESIGN.md rule 7): status, progress, log, result file and
    error, visible on the console's Jobs page. `enterprise` is empty for platform jobs
    (housekeeping); inside an enterprise the group tree decides who sees it (`group_path`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATUSES: ClassVar[tuple[str, ...]] = (Status.QUEUED, Status.RUNNING)
    FINISHED_STATUSES: ClassVar[tuple[str, ...]] = (
        Status.SUCCEEDED,
        Status.FAILED,
        Status.CANCELLED,
    )

    enterprise = models.ForeignKey(
        "tenancy.Enterprise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("job type"), max_length=100, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    # a short live line beside the counter, e.g. "3 failed" during a portrait import
    progress_note = models.CharField(_("progress note"), max_length=200, blank=True)
    # what the job reports at the end: counts and a table of failures (JobContext.set_summary)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    log = models.TextField(_("log"), blank=True)
    result_file = models.FileField(
        _("result file"), upload_to=job_result_path, blank=True, max_length=255
    )
    result_name = models.CharField(_("result file name"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    cancel_requested = models.BooleanField(_("cancellation requested"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    group_path = models.CharField(max_length=500, blank=True, db_index=True)
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)

    group_path_lookup: ClassVar[str | None] = "group_path"

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["enterprise", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(self.progress_done * 100 / self.progress_total))


class ScheduledJob(models.Model):
    """When each periodic job runs next. Platform-wide and not tenant-scoped: every worker's
    scheduler claims a due entry by moving `next_run_at` with a conditional UPDATE, so however
    many workers tick at once, each due run is enqueued exactly once."""

    name = models.CharField(_("job type"), max_length=100, primary_key=True)
    every_seconds = models.PositiveIntegerField(_("interval (seconds)"))
    next_run_at = models.DateTimeField(_("next run"))
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class TableColumns(models.Model):
    """Which columns one user shows in one list (the manuals' personalized columns). Keyed by
    the user, so it needs no tenant scope: nobody reads another user's choice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    table = models.CharField(max_length=120)
    columns = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "table"], name="core_tablecolumns_unique"),
        ]

    def __str__(self) -> str:
        return self.table
