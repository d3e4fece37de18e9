"""Helpers of the people console tests: upload a file to an import page, let the worker run the
job, and fetch downloads whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse

from gatehouse.core.actors import Actor
from gatehouse.core.jobs.worker import run_pending
from gatehouse.core.models import Job
from gatehouse.core.scoping import tenant_scope
from gatehouse.tenancy import services as tenancy_services

MEMBER_PEOPLE_PERMISSIONS = ("people.view", "people.add", "people.change", "people.import")


@pytest.fixture(autouse=True)
def own_media_folder(settings: Any, tmp_path: Path) -> None:
    """Each test starts with an empty media folder, so that it sees only the files it wrote
    (import it into a test module to use it there)."""
    settings.MEDIA_ROOT = tmp_path / "media"


def media_files(folder: str = "", *, thumbnails: bool = False) -> list[Path]:
    """The files under the media folder (or one of its folders), sorted; list thumbnails
    (<sha256>.thumb.jpg beside each photo) only when asked for."""
    root = Path(settings.MEDIA_ROOT, folder)
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and (thumbnails or not path.name.endswith(".thumb.jpg"))
    )


def grant_member(cast: Any, *permissions: str) -> None:
    """Give a-member's role the people permissions (and keep what the cast gave it)."""
    with tenant_scope(cast.enterprise_a.pk):
        tenancy_services.update_role(
            cast.a_role,
            actor=Actor.system("test"),
            permissions=["tenancy.view", "audit.view", *permissions],
        )


def download(client: Client, url: str) -> tuple[int, bytes, str]:
    """Fetch a (possibly streamed) file response completely: status, body, Content-Disposition."""
    response = client.get(url)
    try:
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        return response.status_code, body, response.get("Content-Disposition", "")
    finally:
        response.close()


def post_file(
    client: Client, url_name: str, slug: str, data: bytes, filename: str, **fields: Any
) -> Any:
    upload = SimpleUploadedFile(filename, data)
    return client.post(reverse(url_name, args=[slug]), {"file": upload, **fields})


def job_of(response: Any) -> Job:
    """The job an import page redirected to (it must have redirected to a job)."""
    assert response.status_code == 302, response.content.decode()[:2000]
    match = resolve(response["Location"])
    assert match.url_name == "job_detail", response["Location"]
    job: Job = Job._base_manager.get(pk=match.kwargs["pk"])
    return job


def run_job(response: Any) -> Job:
    """Run the queued job the response redirected to and return its finished row."""
    job = job_of(response)
    run_pending()
    job.refresh_from_db()
    assert job.status in Job.FINISHED_STATUSES, job.status
    return job


def summary_counts(job: Job) -> dict[str, int]:
    return dict(job.summary["counts"])
