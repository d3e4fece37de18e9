"""Fixtures of the core tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.core.jobs import scheduler
from gatehouse.core.jobs.housekeeping import Housekeeping


@pytest.fixture
def only_housekeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler sees housekeeping alone: other apps' periodic jobs (device watch, ...)
    have their own tests and would only add rows to the counts asserted here."""
    monkeypatch.setattr(scheduler, "periodic_jobs", lambda: {Housekeeping.kind: timedelta(hours=1)})
