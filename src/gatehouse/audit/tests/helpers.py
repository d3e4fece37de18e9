"""Writing entries for the system log tests through the real writer, at chosen times."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

from gatehouse.audit import services
from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope


def write(
    action: str,
    *,
    enterprise_id: int | None,
    group_path: str = "",
    when: dt.datetime | None = None,
    operator: str = "tester",
    address: str = "192.0.2.7",
    **kwargs: Any,
) -> LogEntry:
    actor = Actor(kind=Actor.system().kind, label=operator, address=address)
    with platform_scope():
        if when is None:
            return services.record(
                action, actor=actor, enterprise_id=enterprise_id, group_path=group_path, **kwargs
            )
        with mock.patch("django.utils.timezone.now", return_value=when):
            return services.record(
                action, actor=actor, enterprise_id=enterprise_id, group_path=group_path, **kwargs
            )
