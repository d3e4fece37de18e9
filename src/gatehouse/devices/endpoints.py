"""Path prefixes that belong to device protocols, registered by drivers (AppConfig.ready)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

_PREFIXES: dict[str, str] = {}
# ASGI-level answers for the commonest device requests: (scope, send) -> answered?
FastPath = Callable[[Any, Any], Awaitable[bool]]
_FAST_PATHS: list[FastPath] = []


def register(prefix: str, urlconf: str) -> None:
    """`prefix` ("/iclock/") is served by the URLconf module `urlconf`."""
    _PREFIXES[prefix] = urlconf


def urlconf_for(path: str) -> str | None:
    for prefix, urlconf in _PREFIXES.items():
        if path.startswith(prefix):
            return urlconf
    return None


def register_fast_path(answer: FastPath) -> None:
    if answer not in _FAST_PATHS:
        _FAST_PATHS.append(answer)


async def answer_fast(scope: Any, send: Any) -> bool:
    """Let a driver answer a device request without Django (see drivers' fastpath)."""
    for answer in _FAST_PATHS:
        if await answer(scope, send):
            return True
    return False
