"""The console WebSocket: one per browser session, joined to its enterprise's group.

Events carry the group path of what they are about; a socket only forwards events inside its
user's subtree, so the group tree rule holds for pushed events too."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from gatehouse.core.events import PLATFORM_GROUP, enterprise_group


class ConsoleConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        if user.is_superuser:
            self.groups_joined = [PLATFORM_GROUP]
            self.group_path = ""
        elif user.enterprise_id is not None and user.group_id is not None:
            self.groups_joined = [enterprise_group(user.enterprise_id)]
            self.group_path = await self._group_path(user)
        else:
            await self.close(code=4403)
            return
        for name in self.groups_joined:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.accept()

    @staticmethod
    async def _group_path(user: Any) -> str:
        from asgiref.sync import sync_to_async

        from gatehouse.core.scoping import platform_scope
        from gatehouse.tenancy.models import Group

        def load() -> str:
            with platform_scope():
                return str(Group.objects.get(pk=user.group_id).path)

        return await sync_to_async(load)()

    async def disconnect(self, code: int) -> None:
        for name in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The console only listens; anything it sends is ignored."""

    async def gatehouse_event(self, message: dict[str, Any]) -> None:
        path = message.get("group_path") or ""
        if self.group_path and not path.startswith(self.group_path):
            return
        await self.send_json(
            {
                "event": message["event"],
                "enterprise_id": message.get("enterprise_id"),
                "payload": message.get("payload", {}),
            }
        )


websocket_urlpatterns = [path("ws/console/", ConsoleConsumer.as_asgi())]
