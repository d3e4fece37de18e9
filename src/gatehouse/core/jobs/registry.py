"""Which job kinds exist and which of them run periodically.

Job classes register themselves when their module is imported; `autodiscover()` imports every
app's `jobs` module so a worker knows the same kinds as the web process that queued them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from gatehouse.core.jobs.base import JobRunner

R = TypeVar("R", bound="type[JobRunner]")

_RUNNERS: dict[str, type[JobRunner]] = {}
_PERIODIC: dict[str, timedelta] = {}
_discovered = False


def register(runner: type[JobRunner]) -> None:
    existing = _RUNNERS.get(runner.kind)
    if existing is not None and _qualified(existing) != _qualified(runner):
        raise ImproperlyConfigured(
            f"job kind {runner.kind!r} is used by {_qualified(existing)} and {_qualified(runner)}"
        )
    _RUNNERS[runner.kind] = runner


def _qualified(runner: type[JobRunner]) -> str:
    return f"{runner.__module__}.{runner.__qualname__}"


def autodiscover() -> None:
    """Import `<app>.jobs` of every installed app (once)."""
    global _discovered  # noqa: PLW0603 - a process-wide, import-once flag
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True


def get_runner(kind: str) -> type[JobRunner] | None:
    if kind not in _RUNNERS:
        autodiscover()
    return _RUNNERS.get(kind)


def periodic(*, every: timedelta) -> Callable[[R], R]:
    """Class decorator: run this (platform-level) job every `every`, from the scheduler."""
    if every < timedelta(seconds=1):
        raise ImproperlyConfigured("a periodic job needs an interval of at least one second")

    def decorate(runner: R) -> R:
        register(runner)
        _PERIODIC[runner.kind] = every
        return runner

    return decorate


def periodic_jobs() -> dict[str, timedelta]:
    autodiscover()
    return dict(_PERIODIC)


def unregister(kind: str) -> None:
    """For tests that declare throw-away periodic jobs."""
    _RUNNERS.pop(kind, None)
    _PERIODIC.pop(kind, None)
