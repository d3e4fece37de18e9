"""Background jobs: queued with the caller's transaction, run by the real django-tasks-db worker
loop, with progress, log, result file, errors and cancellation recorded on the Job row."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.jobs import JobContext, JobRunner, cancel_job, enqueue
from gatehouse.core.jobs import base as jobs_base
from gatehouse.core.jobs.worker import run_pending
from gatehouse.core.models import Job
from gatehouse.core.scoping import platform_scope, tenant_scope

pytestmark = pytest.mark.django_db(transaction=True)


class CountJob(JobRunner):
    """Counts to `n`, reporting progress, and writes the numbers as its result file."""

    kind = "tests.count"
    title = "Count"

    def run(self, ctx: JobContext) -> None:
        n = int(ctx.arguments["n"])
        ctx.progress(0, n)
        for i in range(1, n + 1):
            ctx.check_cancelled()
            ctx.progress(i, n)
        ctx.log(f"counted to {n}")
        ctx.save_result("count.txt", "\n".join(str(i) for i in range(1, n + 1)).encode())


class FailingJob(JobRunner):
    kind = "tests.fail"
    title = "Fail"

    def run(self, ctx: JobContext) -> None:
        ctx.progress(1, 3)
        raise ValueError("the printer is on fire")


class ScopeProbeJob(JobRunner):
    """Records which enterprise's rows it can see: proves the worker re-entered the scope."""

    kind = "tests.scope_probe"
    title = "Scope probe"

    def run(self, ctx: JobContext) -> None:
        from gatehouse.tenancy.models import Group

        names = sorted(Group.objects.values_list("name", flat=True))
        ctx.log("groups: " + ",".join(names))


class SelfCancellingJob(JobRunner):
    """Someone asks it to stop while it runs (here: itself, half-way, through the service an
    administrator would call); it must stop at its next check."""

    kind = "tests.self_cancel"
    title = "Self cancel"

    def run(self, ctx: JobContext) -> None:
        ctx.progress(0, 10)
        for i in range(1, 11):
            ctx.check_cancelled()
            ctx.progress(i, 10)
            if i == 4:
                cancel_job(ctx.job, actor=Actor.system("operator"))
        ctx.log("not reached")


class TransactionalJob(JobRunner):
    """Does its work inside one transaction and reports progress from inside it."""

    kind = "tests.transactional"
    title = "Transactional"
    reached = threading.Event()
    release = threading.Event()

    def run(self, ctx: JobContext) -> None:
        with transaction.atomic():
            ctx.progress(1, 2)
            ctx.log("half-way inside the transaction")
            type(self).reached.set()
            assert type(self).release.wait(10)
            ctx.progress(2, 2)


def actor_a(cast: Any) -> Actor:
    return Actor.for_user(cast.a_admin)


def queue_count(cast: Any, n: int = 5) -> Job:
    with tenant_scope(cast.enterprise_a.pk):
        return enqueue(CountJob, actor=actor_a(cast), enterprise_id=cast.enterprise_a.pk, n=n)


def reload(job: Job) -> Job:
    return Job._base_manager.get(pk=job.pk)


class RolledBackError(Exception):
    pass


def test_enqueue_in_a_rolled_back_transaction_queues_nothing(cast: Any) -> None:
    with pytest.raises(RolledBackError), transaction.atomic():  # noqa: PT012 - the rollback is the point
        job = queue_count(cast)
        assert Job._base_manager.filter(pk=job.pk).exists()
        assert DBTaskResult.objects.filter(id=job.task_id).exists()
        raise RolledBackError
    assert not Job._base_manager.exists()
    assert not DBTaskResult.objects.exists()
    assert run_pending() == 0


def test_the_worker_runs_a_job_to_success_with_progress_log_and_result(cast: Any) -> None:
    job = queue_count(cast, n=7)
    assert job.status == Job.Status.QUEUED
    assert job.created_by_id == cast.a_admin.pk
    assert job.group_path == cast.a_admin.group.path  # the acting administrator's subtree
    assert run_pending() == 1
    job = reload(job)
    assert job.status == Job.Status.SUCCEEDED
    assert (job.progress_done, job.progress_total) == (7, 7)
    assert job.percent == 100
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.finished_at >= job.started_at
    assert "counted to 7" in job.log
    assert job.log.splitlines()[0][:2] == "20"  # lines carry a timestamp
    assert job.result_name == "count.txt"
    assert (job.result_file.name or "").startswith("jobs/")
    with job.result_file.open("rb") as handle:
        assert handle.read() == b"1\n2\n3\n4\n5\n6\n7"
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "SUCCESSFUL"
    assert task.return_value == "succeeded"


def test_the_job_runs_inside_its_enterprise_scope(cast: Any) -> None:
    with tenant_scope(cast.enterprise_b.pk):
        job = enqueue(ScopeProbeJob, actor=Actor.system(), enterprise_id=cast.enterprise_b.pk)
    run_pending()
    job = reload(job)
    assert job.status == Job.Status.SUCCEEDED, job.log
    assert "groups: Bolt" in job.log  # B's top group only, nothing of Acme
    assert "Branch" not in job.log
    assert job.group_path  # a system actor's job belongs to the enterprise's top group


def test_a_failing_job_is_failed_with_its_error_and_traceback(cast: Any) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        job = enqueue(FailingJob, actor=actor_a(cast), enterprise_id=cast.enterprise_a.pk)
    run_pending()
    job = reload(job)
    assert job.status == Job.Status.FAILED
    assert job.error == "the printer is on fire"
    assert "Traceback" in job.log
    assert "ValueError: the printer is on fire" in job.log
    assert (job.progress_done, job.progress_total) == (1, 3)
    # the task itself completed: the failure is the job's, recorded by us, not a lost task
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def test_an_unknown_job_kind_fails_clearly(cast: Any) -> None:
    job = queue_count(cast)
    Job._base_manager.filter(pk=job.pk).update(kind="tests.gone")
    run_pending()
    job = reload(job)
    assert job.status == Job.Status.FAILED
    assert "Unknown job type" in job.error


def test_cancelling_a_queued_job_stops_it_before_it_starts(cast: Any) -> None:
    job = queue_count(cast)
    with tenant_scope(cast.enterprise_a.pk):
        cancelled = cancel_job(job, actor=actor_a(cast))
    assert cancelled.status == Job.Status.CANCELLED
    assert cancelled.finished_at is not None
    assert "Cancelled by a-admin." in cancelled.log
    assert run_pending() == 1  # the task runs and finds nothing to do
    job = reload(job)
    assert job.status == Job.Status.CANCELLED
    assert job.started_at is None
    assert job.progress_total == 0
    with platform_scope():
        entry = LogEntry.objects.get(action="core.job.cancel_requested")
    assert entry.enterprise_id == cast.enterprise_a.pk
    assert entry.object_id == str(job.pk)
    assert entry.actor_label == "a-admin"
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["status"], entry.after["status"]) == ("queued", "cancelled")
    with tenant_scope(cast.enterprise_a.pk), pytest.raises(ServiceError) as excinfo:
        cancel_job(job, actor=actor_a(cast))
    assert excinfo.value.message == "This job has already finished."


def test_cancelling_a_running_job_stops_it_at_its_next_check(cast: Any) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        job = enqueue(SelfCancellingJob, actor=actor_a(cast), enterprise_id=cast.enterprise_a.pk)
    run_pending()
    job = reload(job)
    assert job.status == Job.Status.CANCELLED
    assert job.progress_done == 4  # stopped at the check after step 4, not at the end
    assert "Cancellation requested by operator." in job.log
    assert "Cancelled." in job.log
    assert "not reached" not in job.log
    assert job.cancel_requested


def test_progress_is_throttled_and_its_last_step_always_reported(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[dict[str, Any]] = []
    monkeypatch.setattr(jobs_base, "send_now", events.append)
    job = queue_count(cast, n=5000)
    run_pending()
    progress = [e["payload"] for e in events if e["event"] == "core.job.progress"]
    assert progress
    assert len(progress) < 50  # 5000 steps, a handful of updates
    assert (progress[-1]["done"], progress[-1]["total"]) == (5000, 5000)
    assert {e["group_path"] for e in events} == {job.group_path}
    assert {e["enterprise_id"] for e in events} == {cast.enterprise_a.pk}
    assert reload(job).progress_done == 5000


def test_progress_from_inside_the_jobs_own_transaction_is_visible_at_once(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console must see progress while a job's transaction is still open. PostgreSQL:
    committed from a separate connection. SQLite allows one writer at a time: the event goes
    out at once and the row follows when the transaction ends."""
    events: list[dict[str, Any]] = []
    monkeypatch.setattr(jobs_base, "send_now", events.append)
    TransactionalJob.reached.clear()
    TransactionalJob.release.clear()
    try:
        with tenant_scope(cast.enterprise_a.pk):
            job = enqueue(TransactionalJob, actor=actor_a(cast), enterprise_id=cast.enterprise_a.pk)
        if connection.vendor == "sqlite":
            TransactionalJob.release.set()
            run_pending()
            assert any(
                e["payload"]["done"] == 1 and e["payload"]["status"] == "running" for e in events
            )
        else:
            errors: list[BaseException] = []

            def work() -> None:
                try:
                    run_pending()
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)
                finally:
                    from django.db import connections

                    connections.close_all()

            thread = threading.Thread(target=work)
            thread.start()
            try:
                assert TransactionalJob.reached.wait(10)
                seen = reload(job)  # this test's own connection: only committed data
                assert (seen.progress_done, seen.progress_total) == (1, 2)
                assert "half-way inside the transaction" in seen.log
            finally:
                TransactionalJob.release.set()
                thread.join(20)
            assert not errors
    finally:
        TransactionalJob.release.set()
    job = reload(job)
    assert job.status == Job.Status.SUCCEEDED
    assert (job.progress_done, job.progress_total) == (2, 2)
    assert "half-way inside the transaction" in job.log


def test_job_arguments_must_be_json(cast: Any) -> None:
    with pytest.raises(TypeError, match="JSON"):
        enqueue(CountJob, actor=Actor.system(), enterprise_id=cast.enterprise_a.pk, n={1, 2})
    assert not Job._base_manager.exists()


def test_an_unregistered_runner_cannot_be_queued(cast: Any) -> None:
    class Nameless(JobRunner):
        pass

    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        enqueue(Nameless, actor=Actor.system(), enterprise_id=None)


def test_two_runners_cannot_share_a_kind() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=r"tests\.count"):

        class Impostor(JobRunner):
            kind = "tests.count"


def test_jobs_outlive_their_creator_but_not_their_enterprise(cast: Any) -> None:
    from gatehouse.tenancy import services

    with tenant_scope(cast.enterprise_a.pk):
        job = enqueue(
            CountJob, actor=Actor.for_user(cast.a_member), enterprise_id=cast.enterprise_a.pk, n=1
        )
        services.delete_user(cast.a_member, actor=actor_a(cast))
    kept = reload(job)
    assert kept.created_by_id is None
    assert kept.group_path == cast.a_sub_group.path
    with platform_scope():
        services.delete_enterprise(cast.enterprise_a, actor=Actor.system("test"))
    assert not Job._base_manager.filter(pk=job.pk).exists()


class ChattyJob(JobRunner):
    kind = "tests.chatty"
    title = "Chatty"

    def run(self, ctx: JobContext) -> None:
        for i in range(200):
            ctx.log(f"line {i:03d}")


def test_a_log_that_grows_too_big_is_cut_off_with_a_note(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_base, "LOG_LIMIT", 1000)
    job = enqueue(ChattyJob, actor=Actor.system(), enterprise_id=None)
    run_pending()
    job = reload(job)
    assert job.status == Job.Status.SUCCEEDED
    assert "line 000" in job.log
    assert "line 199" not in job.log
    assert job.log.count("(The log is full: further lines are not kept.)") == 1
    assert job.log.rstrip().endswith("Finished.")  # the outcome is never cut off
    assert len(job.log) <= 1100
