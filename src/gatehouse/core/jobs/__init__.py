"""Background jobs (DESIGN.md "Background work", rule 7): a `JobRunner` subclass per kind of
long work, queued with `enqueue` inside the caller's transaction, run by `gatehouse worker` (or
the embedded worker), with progress, log, result file, errors and cancellation on the console's
Jobs page. Periodic jobs are declared with `@periodic(every=...)`.

Import from this package only after Django is set up (app `jobs.py` modules, services)."""

from gatehouse.core.jobs import housekeeping
from gatehouse.core.jobs.base import JobCancelled, JobContext, JobRunner, enqueue
from gatehouse.core.jobs.registry import get_runner, periodic
from gatehouse.core.jobs.services import cancel_job

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobRunner",
    "cancel_job",
    "enqueue",
    "get_runner",
    "housekeeping",
    "periodic",
]
