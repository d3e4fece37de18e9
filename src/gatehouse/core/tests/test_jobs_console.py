"""The Jobs page and /api/v1/jobs/: who sees which job (tenant and group subtree), live
progress markup, the log and error, result downloads and cancelling."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.jobs import JobContext, JobRunner, enqueue
from gatehouse.core.jobs.scheduler import tick
from gatehouse.core.jobs.worker import run_pending
from gatehouse.core.models import Job
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.tenancy import services

pytestmark = pytest.mark.django_db(transaction=True)


class ReportJob(JobRunner):
    kind = "tests.report"
    title = "Visitor report"

    def run(self, ctx: JobContext) -> None:
        rows = int(ctx.arguments.get("rows", 3))
        ctx.progress(0, rows)
        for i in range(1, rows + 1):
            ctx.progress(i, rows)
        ctx.save_result("visitors 2025.csv", b"name;time\nAda;09:00\n")


class BrokenJob(JobRunner):
    kind = "tests.broken"
    title = "Broken export"

    def run(self, ctx: JobContext) -> None:
        raise RuntimeError("disk full")


def queue(cast: Any, runner: type[JobRunner], *, user: Any = None, **kwargs: Any) -> Job:
    user = user or cast.a_admin
    with tenant_scope(user.enterprise_id):
        return enqueue(
            runner, actor=Actor.for_user(user), enterprise_id=user.enterprise_id, **kwargs
        )


def grant_member(cast: Any, *extra: str) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        services.update_role(
            cast.a_role,
            actor=Actor.system("test"),
            permissions=["tenancy.view", "audit.view", *extra],
        )


def api_client(user: Any) -> Client:
    with platform_scope():
        _token, secret = services.create_token(user, actor=Actor.system("test"), name="t")
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")


def download(client: Client, url: str) -> tuple[int, bytes, str]:
    """Fetch a file response completely and close it (status, body, Content-Disposition)."""
    response = client.get(url)
    try:
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        return response.status_code, body, response.get("Content-Disposition", "")
    finally:
        response.close()


def test_the_jobs_page_shows_live_progress_for_the_enterprise_only(
    cast: Any, client_for: Any
) -> None:
    done = queue(cast, ReportJob, rows=7)
    run_pending()
    waiting = queue(cast, ReportJob, title="Waiting report")
    admin = client_for("a-admin")
    assert "Jobs" in admin.get("/").content.decode()  # the menu entry
    page = admin.get("/jobs/").content.decode()
    assert "Visitor report" in page
    assert "Waiting report" in page
    assert f'data-job-id="{done.pk}" data-job-status="succeeded"' in page
    assert "Succeeded" in page
    assert "7 / 7" in page
    assert f'data-job-id="{waiting.pk}" data-job-status="queued"' in page
    assert "/static/core/jobs.js" in page
    assert 'data-running="Running"' in page  # translated labels for the live badges
    assert "a-admin" in page
    bolt = client_for("b-admin").get("/jobs/").content.decode()
    assert "Visitor report" not in bolt
    assert "No records found." in bolt
    filtered = admin.get("/jobs/?status=queued").content.decode()
    assert "Waiting report" in filtered
    assert "7 / 7" not in filtered


def test_a_member_sees_only_jobs_of_its_subtree(cast: Any, client_for: Any) -> None:
    member = client_for("a-member")
    assert member.get("/jobs/").status_code == 403  # no core.view yet
    assert "/jobs/" not in member.get("/").content.decode()
    grant_member(cast, "core.view")
    top = queue(cast, ReportJob, title="Top-level export")
    own = queue(cast, ReportJob, user=cast.a_member, title="Branch export")
    sibling = queue(cast, ReportJob, title="Sibling export", group_path=cast.a_sibling_group.path)
    run_pending()
    assert own.group_path == cast.a_sub_group.path
    page = member.get("/jobs/").content.decode()
    assert "Branch export" in page
    assert "Top-level export" not in page
    assert "Sibling export" not in page
    assert member.get(f"/jobs/{own.pk}/").status_code == 200
    assert download(member, f"/jobs/{own.pk}/result/")[0] == 200
    for hidden in (top, sibling):
        assert member.get(f"/jobs/{hidden.pk}/").status_code == 404
        assert member.get(f"/jobs/{hidden.pk}/result/").status_code == 404
    admin_page = client_for("a-admin").get("/jobs/").content.decode()
    for title in ("Top-level export", "Branch export", "Sibling export"):
        assert title in admin_page


def test_the_result_downloads_for_its_enterprise_and_is_404_elsewhere(
    cast: Any, client_for: Any
) -> None:
    job = queue(cast, ReportJob)
    run_pending()
    admin = client_for("a-admin")
    detail = admin.get(f"/jobs/{job.pk}/").content.decode()
    assert "Download visitors_2025.csv" in detail
    assert "Finished." in detail  # the log
    assert download(admin, f"/jobs/{job.pk}/result/") == (
        200,
        b"name;time\nAda;09:00\n",
        'attachment; filename="visitors_2025.csv"',
    )
    bolt = client_for("b-admin")
    assert bolt.get(f"/jobs/{job.pk}/").status_code == 404
    assert bolt.get(f"/jobs/{job.pk}/result/").status_code == 404
    root = client_for("root")
    assert download(root, f"/jobs/{job.pk}/result/")[0] == 200
    without_result = queue(cast, BrokenJob)
    assert admin.get(f"/jobs/{without_result.pk}/result/").status_code == 404


def test_a_failed_job_shows_its_error(cast: Any, client_for: Any) -> None:
    job = queue(cast, BrokenJob)
    run_pending()
    page = client_for("a-admin").get(f"/jobs/{job.pk}/").content.decode()
    assert "The job failed" in page
    assert "disk full" in page
    assert "RuntimeError: disk full" in page  # the traceback in the log
    assert "Cancel job" not in page  # finished: nothing to cancel
    assert "Failed" in client_for("a-admin").get("/jobs/").content.decode()


def test_cancelling_from_the_console_needs_the_cancel_permission(
    cast: Any, client_for: Any
) -> None:
    grant_member(cast, "core.view")
    job = queue(cast, ReportJob, user=cast.a_member)
    member = client_for("a-member")
    assert "Cancel job" not in member.get(f"/jobs/{job.pk}/").content.decode()
    assert member.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    assert Job._base_manager.get(pk=job.pk).status == Job.Status.QUEUED
    admin = client_for("a-admin")
    assert "Cancel job" in admin.get(f"/jobs/{job.pk}/").content.decode()
    response = admin.post(f"/jobs/{job.pk}/cancel/", follow=True)
    page = response.content.decode()
    assert "The job has been cancelled." in page
    assert "Cancelled by a-admin." in page
    assert Job._base_manager.get(pk=job.pk).status == Job.Status.CANCELLED
    again = admin.post(f"/jobs/{job.pk}/cancel/", follow=True).content.decode()
    assert "This job has already finished." in again
    with platform_scope():
        assert LogEntry.objects.filter(action="core.job.cancel_requested").count() == 1
    other = queue(cast, ReportJob)
    assert client_for("b-admin").post(f"/jobs/{other.pk}/cancel/").status_code == 404
    assert Job._base_manager.get(pk=other.pk).status == Job.Status.QUEUED


@pytest.mark.usefixtures("only_housekeeping")
def test_platform_jobs_are_for_the_super_administrator(cast: Any, client_for: Any) -> None:
    [housekeeping] = tick()
    run_pending()
    root = client_for("root").get("/jobs/").content.decode()
    assert "Housekeeping" in root
    assert "Housekeeping" not in client_for("a-admin").get("/jobs/").content.decode()
    assert client_for("a-admin").get(f"/jobs/{housekeeping.pk}/").status_code == 404


def test_the_api_lists_reads_cancels_and_downloads_within_the_subtree(cast: Any) -> None:
    grant_member(cast, "core.view")
    done = queue(cast, ReportJob, rows=4)
    run_pending()
    waiting = queue(cast, ReportJob, user=cast.a_member, title="Member report")
    admin = api_client(cast.a_admin)
    body = admin.get("/api/v1/jobs/").json()
    assert body["count"] == 2
    by_id = {row["id"]: row for row in body["results"]}
    assert by_id[done.pk]["status"] == "succeeded"
    assert (by_id[done.pk]["progress_done"], by_id[done.pk]["progress_total"]) == (4, 4)
    assert by_id[done.pk]["percent"] == 100
    assert by_id[done.pk]["created_by"] == "a-admin"
    assert by_id[done.pk]["result_name"] == "visitors_2025.csv"
    assert by_id[done.pk]["result_url"] == f"http://localhost/api/v1/jobs/{done.pk}/result/"
    assert by_id[waiting.pk]["result_url"] is None
    assert "log" not in by_id[done.pk]
    detail = admin.get(f"/api/v1/jobs/{done.pk}/").json()
    assert "Finished." in detail["log"]
    assert detail["arguments"] == {"rows": 4}
    assert admin.get("/api/v1/jobs/?status=queued").json()["count"] == 1
    status, body, _disposition = download(admin, f"/api/v1/jobs/{done.pk}/result/")
    assert (status, body) == (200, b"name;time\nAda;09:00\n")

    member = api_client(cast.a_member)
    assert [row["id"] for row in member.get("/api/v1/jobs/").json()["results"]] == [waiting.pk]
    assert member.get(f"/api/v1/jobs/{done.pk}/").status_code == 404
    refused = member.post(f"/api/v1/jobs/{waiting.pk}/cancel/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"

    bolt = api_client(cast.b_admin)
    assert bolt.get("/api/v1/jobs/").json()["count"] == 0
    missing = bolt.get(f"/api/v1/jobs/{done.pk}/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert bolt.get(f"/api/v1/jobs/{done.pk}/result/").status_code == 404
    assert bolt.post(f"/api/v1/jobs/{waiting.pk}/cancel/").status_code == 404

    cancelled = admin.post(f"/api/v1/jobs/{waiting.pk}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert "Cancelled by a-admin (token" in cancelled.json()["log"]
    again = admin.post(f"/api/v1/jobs/{waiting.pk}/cancel/")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "This job has already finished."
    assert admin.get(f"/api/v1/jobs/{waiting.pk}/result/").status_code == 404


def test_the_api_schema_describes_the_jobs_endpoints() -> None:
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    paths = schema["paths"]
    assert set(paths["/api/v1/jobs/"]) == {"get"}
    assert "post" in paths["/api/v1/jobs/{id}/cancel/"]
    assert "requestBody" not in paths["/api/v1/jobs/{id}/cancel/"]["post"]
    result = paths["/api/v1/jobs/{id}/result/"]["get"]["responses"]["200"]["content"]
    assert result["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}
