"""The one django-tasks task behind every job: the Job row says what to run."""

from __future__ import annotations

from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from gatehouse.core.jobs.runtime import execute

    return execute(job_id)
