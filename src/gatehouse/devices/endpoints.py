"""Path prefixes that belong to device protocols, registered by drivers (AppConfig.ready)."""

from __future__ import annotations

_PREFIXES: dict[str, str] = {}


def register(prefix: str, urlconf: str) -> None:
    """`prefix` ("/iclock/") is served by the URLconf module `urlconf`."""
    _PREFIXES[prefix] = urlconf


def urlconf_for(path: str) -> str | None:
    for prefix, urlconf in _PREFIXES.items():
        if path.startswith(prefix):
            return urlconf
    return None
