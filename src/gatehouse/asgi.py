"""ASGI entry point: HTTP through Django, WebSockets through Channels with session auth.

Django is set up (get_asgi_application) before anything that imports models is loaded, hence
the imports below the call. A WebSocket handshake must come from one of ALLOWED_HOSTS (no
cross-site sockets riding on the session cookie) and is authenticated by the session."""

from __future__ import annotations

import gc
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatehouse.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from gatehouse.core.events import publish_from_loop  # noqa: E402
from gatehouse.core.realtime import websocket_urlpatterns  # noqa: E402
from gatehouse.devices.endpoints import answer_fast  # noqa: E402
from gatehouse.devices.middleware import DeviceASGIHandler, is_device_path  # noqa: E402

device_asgi_app = DeviceASGIHandler()


async def http_app(scope: Any, receive: Any, send: Any) -> None:
    """Devices (`/iclock/...`) to their own handler, everything else to Django's."""
    if is_device_path(scope["path"]):
        if not await answer_fast(scope, send):
            await device_asgi_app(scope, receive, send)
        return
    await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": publish_from_loop(http_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# A server process builds long-lived state once (apps, URL patterns, templates, the device
# caches) and then makes many short-lived objects per request. Moving what exists after start
# into the permanent generation, and collecting the young generation less often, keeps the
# cycle collector from walking that state again and again: a group sync of many persons
# costs about a quarter less CPU (bench/bench_devices.py, G5).
gc.freeze()
gc.set_threshold(50_000, 20, 20)
