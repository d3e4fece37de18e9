from __future__ import annotations

from rest_framework import serializers

from gatehouse.audit.models import LogEntry


class LogEntrySerializer(serializers.ModelSerializer[LogEntry]):
    """One system log entry. `before` and `after` are the audited field values (any JSON)."""

    module_label = serializers.CharField(read_only=True)

    class Meta:
        model = LogEntry
        fields = (
            "id",
            "enterprise",
            "sequence",
            "created_at",
            "module",
            "module_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "actor_kind",
            "actor_label",
            "result",
            "message",
            "source_address",
            "before",
            "after",
            "previous_hash",
            "entry_hash",
        )
        read_only_fields = fields
