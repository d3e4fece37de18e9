"""The console WebSocket: one per browser session, joined to its enterprise's group.

Events carry the group path of what they are about; a socket only forwards events inside its
user's subtree, so the group tree rule holds for pushed events too. The user is re-read from
the database when the socket opens (inside the platform scope, in a worker thread), so a
disabled user, a disabled enterprise or a pending one-time password cannot listen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import HttpRequest
from django.urls import path
from django.utils import translation

from gatehouse.core.events import PLATFORM_GROUP, enterprise_group, event_label

# Close codes (4000-4999 are the application's). console.js does not retry after either: the
# next page load, after logging in or changing the one-time password, opens a new socket.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@dataclass(frozen=True)
class Listener:
    """What a socket needs to know about its user to filter events."""

    groups: tuple[str, ...]
    enterprise_id: int | None  # None = the super administrator: every event
    group_path: str


def load_listener(user_id: int) -> Listener | None:
    """The user's current state, read fresh; None when the user may not listen."""
    from gatehouse.core.scoping import platform_scope
    from gatehouse.tenancy.models import User

    with platform_scope():
        user = User.global_objects.select_related("enterprise", "group").filter(pk=user_id).first()
        if user is None or not user.is_active or user.must_change_password:
            return None
        if user.is_superuser:
            return Listener(groups=(PLATFORM_GROUP,), enterprise_id=None, group_path="")
        if user.enterprise is None or not user.enterprise.is_active or user.group is None:
            return None
        if not user.group.path:
            return None
        return Listener(
            groups=(enterprise_group(user.enterprise.pk),),
            enterprise_id=user.enterprise.pk,
            group_path=user.group.path,
        )


def socket_language(scope: dict[str, Any], user: Any) -> str:
    """The language the user reads the console in: its own setting, else the language cookie
    or Accept-Language of the socket's handshake, as Django picks it for pages."""
    chosen = getattr(user, "language", "") or ""
    if chosen:
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    for name, value in scope.get("headers") or []:
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    listener: Listener | None = None
    language: str = settings.LANGUAGE_CODE

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        listener = await sync_to_async(load_listener)(user.pk)
        if listener is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.listener = listener
        self.language = socket_language(self.scope, user)
        for name in listener.groups:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.listener is not None:
            for name in self.listener.groups:
                await self.channel_layer.group_discard(name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The console only listens; anything it sends is ignored."""

    def may_see(self, message: dict[str, Any]) -> bool:
        """Inside the user's subtree only; an event without a group path reaches the super
        administrator alone (fail closed)."""
        listener = self.listener
        if listener is None:
            return False
        if listener.enterprise_id is None:
            return True
        if message.get("enterprise_id") != listener.enterprise_id:
            return False
        event_path = str(message.get("group_path") or "")
        return bool(event_path) and event_path.startswith(listener.group_path)

    async def gatehouse_event(self, message: dict[str, Any]) -> None:
        if not self.may_see(message):
            return
        name = str(message["event"])
        with translation.override(self.language):
            label = event_label(name)
        await self.send_json(
            {
                "event": name,
                "label": label,
                "enterprise_id": message.get("enterprise_id"),
                "payload": message.get("payload", {}),
            }
        )


websocket_urlpatterns = [path("ws/console/", ConsoleConsumer.as_asgi())]
