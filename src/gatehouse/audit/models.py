"""The system log (Smart Pass 6.4): one hash-chained entry per service write."""

from __future__ import annotations

from typing import ClassVar

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import TenantManager


class LogEntry(models.Model):
    """Who did what to which object, with before/after values. `entry_hash` chains each entry
    to the previous one of the same enterprise (HMAC with the installation's chain key), so
    `gatehouse audit verify` notices an edited or deleted entry."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class ActorKind(models.TextChoices):
        USER = "user", _("User")
        TOKEN = "token", _("API token")
        DEVICE = "device", _("Device")
        SYSTEM = "system", _("System")

    enterprise = models.ForeignKey(
        "tenancy.Enterprise", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    sequence = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_kind = models.CharField(_("actor type"), max_length=10, choices=ActorKind.choices)
    actor_label = models.CharField(_("operator"), max_length=200)
    actor_user = models.ForeignKey(
        "tenancy.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    module = models.CharField(_("module"), max_length=40, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    message = models.TextField(_("details"), blank=True)
    source_address = models.CharField(_("source address"), max_length=64, blank=True)
    group_path = models.CharField(max_length=500, blank=True, db_index=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    group_path_lookup: ClassVar[str | None] = "group_path"

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("log entry")
        verbose_name_plural = _("system log")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "sequence"], name="audit_chain_seq"),
            # NULLs are distinct in a unique constraint: the platform chain needs its own.
            models.UniqueConstraint(
                fields=["sequence"],
                condition=models.Q(enterprise__isnull=True),
                name="audit_platform_chain_seq",
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"

    @property
    def action_label(self) -> str:
        """The action's label in the active language (the dotted name when it has none)."""
        from gatehouse.core.events import event_label

        return str(event_label(self.action))

    @property
    def module_label(self) -> str:
        return module_label(self.module)


def module_label(module: str) -> str:
    """The function module as the console names it: the app's verbose name ("tenancy" is
    "Permission management"), or the raw module name for an app that is gone."""
    try:
        return str(apps.get_app_config(module).verbose_name)
    except LookupError:
        return module


class ChainHead(models.Model):
    """The last entry of each enterprise's chain; locked while an entry is appended so two
    writers cannot both extend the same link. `chain` is "platform" or the enterprise id."""

    chain = models.CharField(max_length=32, primary_key=True)
    sequence = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"{self.chain}#{self.sequence}"
