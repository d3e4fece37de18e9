"""Publishing dotted events (`tenancy.user.created`, `access.door.opened`) after commit.

The same name is the audit action, the WebSocket event type and, later, the webhook event type.
Nothing is sent for a write that rolls back: sending is registered with `on_commit`.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

PLATFORM_GROUP = "platform"


def enterprise_group(enterprise_id: int) -> str:
    return f"enterprise.{enterprise_id}"


def publish(
    name: str,
    *,
    enterprise_id: int | None,
    payload: dict[str, Any],
    group_path: str = "",
) -> None:
    """Send `name` to the enterprise's sockets (and the platform's) once the transaction commits.

    `group_path` lets consumers drop the event for users outside that group's subtree."""
    message = {
        "type": "gatehouse.event",
        "event": name,
        "enterprise_id": enterprise_id,
        "group_path": group_path,
        "payload": payload,
    }
    transaction.on_commit(lambda: send_now(message))


def send_now(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    targets = [PLATFORM_GROUP]
    if message["enterprise_id"] is not None:
        targets.append(enterprise_group(int(message["enterprise_id"])))
    for target in targets:
        try:
            async_to_sync(layer.group_send)(target, message)
        except Exception:  # a realtime hiccup must never break a committed write
            logger.exception("could not publish %s to %s", message["event"], target)
