"""Publishing dotted events (`tenancy.user.created`, `access.door.opened`) after commit.

The same name is the audit action, the WebSocket event type and, later, the webhook event type.
Nothing is sent for a write that rolls back: sending is registered with `on_commit`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

PLATFORM_GROUP = "platform"

_QUIET: ContextVar[bool] = ContextVar("gatehouse_events_quiet", default=False)

# In-process subscribers: (name prefix, handler). Handlers run after commit, in the process
# that made the change; they must be quick (mark work to do, not do it).
Handler = Callable[[str, int | None, str, dict[str, Any]], None]
_SUBSCRIBERS: list[tuple[str, Handler]] = []
# Inside quiet(): what subscribers would have been told, one entry per (handler, enterprise,
# group path), so a bulk import tells them once per place instead of once per row.
_COALESCED: ContextVar[dict[tuple[Handler, int | None, str], str] | None] = ContextVar(
    "gatehouse_events_coalesced", default=None
)


def subscribe(prefix: str, handler: Handler) -> None:
    """Call `handler(name, enterprise_id, group_path, payload)` after each committed event
    whose name starts with `prefix` (AppConfig.ready). Inside `quiet()` the handler is called
    once per enterprise and group path with payload {"bulk": True}."""
    if (prefix, handler) not in _SUBSCRIBERS:
        _SUBSCRIBERS.append((prefix, handler))


def unsubscribe(prefix: str, handler: Handler) -> None:
    if (prefix, handler) in _SUBSCRIBERS:
        _SUBSCRIBERS.remove((prefix, handler))


@contextmanager
def quiet() -> Iterator[None]:
    """Publish nothing inside: bulk work (an import of 10,000 persons) reports through its
    job's progress and result instead of one live event per row. The audit log still gets
    every entry, and subscribers hear once per place that something changed."""
    token = _QUIET.set(True)
    outer = _COALESCED.get()
    coalesced: dict[tuple[Handler, int | None, str], str] = {} if outer is None else outer
    coalesced_token = _COALESCED.set(coalesced)
    try:
        yield
    finally:
        _COALESCED.reset(coalesced_token)
        _QUIET.reset(token)
    if outer is None:
        for (handler, enterprise_id, group_path), name in coalesced.items():
            _after_commit(handler, name, enterprise_id, group_path, {"bulk": True})


def _after_commit(
    handler: Handler, name: str, enterprise_id: int | None, group_path: str, payload: dict[str, Any]
) -> None:
    def call() -> None:
        try:
            handler(name, enterprise_id, group_path, payload)
        except Exception:  # a subscriber's failure must never break a committed write
            logger.exception("subscriber of %s failed", name)

    transaction.on_commit(call)


def _notify_subscribers(
    name: str, enterprise_id: int | None, group_path: str, payload: dict[str, Any]
) -> None:
    coalesced = _COALESCED.get()
    for prefix, handler in _SUBSCRIBERS:
        if not name.startswith(prefix):
            continue
        if coalesced is not None:
            coalesced[(handler, enterprise_id, group_path)] = name
        else:
            _after_commit(handler, name, enterprise_id, group_path, payload)


# Human labels for the console's live feed. The socket translates them into its user's
# language when it forwards an event; an event without a label shows its dotted name.
EVENT_LABELS: dict[str, Promise] = {
    "audit.log.exported": _("System log exported"),
    "tenancy.enterprise.created": _("Enterprise created"),
    "tenancy.enterprise.changed": _("Enterprise changed"),
    "tenancy.enterprise.deleted": _("Enterprise deleted"),
    "tenancy.group.created": _("Group created"),
    "tenancy.group.changed": _("Group changed"),
    "tenancy.group.moved": _("Group moved"),
    "tenancy.group.deleted": _("Group deleted"),
    "tenancy.role.created": _("Role created"),
    "tenancy.role.changed": _("Role changed"),
    "tenancy.role.deleted": _("Role deleted"),
    "tenancy.user.created": _("User created"),
    "tenancy.user.changed": _("User changed"),
    "tenancy.user.deleted": _("User deleted"),
    "tenancy.user.logged_in": _("User logged in"),
    "tenancy.user.login_failed": _("Login failed"),
    "tenancy.user.password_changed": _("Password changed"),
    "tenancy.user.password_reset": _("Password reset"),
    "tenancy.user.totp_enabled": _("Two-factor login turned on"),
    "tenancy.user.totp_disabled": _("Two-factor login turned off"),
    "tenancy.token.created": _("API token created"),
    "tenancy.token.revoked": _("API token revoked"),
}


def register_labels(labels: dict[str, Promise]) -> None:
    """Apps add the labels of their own events (AppConfig.ready)."""
    EVENT_LABELS.update(labels)


def event_label(name: str) -> str:
    """The label of `name` in the active language, or the dotted name itself."""
    label = EVENT_LABELS.get(name)
    return str(label) if label is not None else name


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
    _notify_subscribers(name, enterprise_id, group_path, payload)
    if _QUIET.get():
        return
    message = {
        "type": "gatehouse.event",
        "event": name,
        "enterprise_id": enterprise_id,
        "group_path": group_path,
        "payload": payload,
    }
    transaction.on_commit(lambda: send_now(message))


# The server's event loop, once it has served a request: committed writes hand their events to
# it and return, instead of each waiting for the channel layer (Redis) round trips.
_SERVER_LOOP: asyncio.AbstractEventLoop | None = None
_SENDING: set[asyncio.Task[None]] = set()


def publish_from_loop(app: Any) -> Any:
    """Wrap the ASGI HTTP app so that events are sent from the server's own loop."""

    async def remember_loop(scope: Any, receive: Any, send: Any) -> None:
        global _SERVER_LOOP  # noqa: PLW0603 - one loop per server process
        if _SERVER_LOOP is None:
            _SERVER_LOOP = asyncio.get_running_loop()
        await app(scope, receive, send)

    return remember_loop


async def _send(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    targets = [PLATFORM_GROUP]
    if message["enterprise_id"] is not None:
        targets.append(enterprise_group(int(message["enterprise_id"])))
    for target in targets:
        try:
            await layer.group_send(target, message)
        except Exception:  # a realtime hiccup must never break a committed write
            logger.exception("could not publish %s to %s", message["event"], target)


def send_now(message: dict[str, Any]) -> None:
    loop = _SERVER_LOOP
    if loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(_send(message))
            _SENDING.add(task)  # a task nobody references may be collected before it runs
            task.add_done_callback(_SENDING.discard)
        else:
            asyncio.run_coroutine_threadsafe(_send(message), loop)  # sent in order, not awaited
        return
    async_to_sync(_send)(message)
