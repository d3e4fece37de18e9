"""Portrait photos in bulk (Smart Pass 4.1.3): a zip of photos named after personnel IDs, through
the console page and the import job, with real faces (tests.face_images)."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from tests import face_images

from gatehouse.core.models import Job
from gatehouse.people.models import Category, Person, Photo
from gatehouse.people.tests.console import (  # noqa: F401 - own_media_folder is a fixture
    MEMBER_PEOPLE_PERMISSIONS,
    download,
    grant_member,
    media_files,
    own_media_folder,
    post_file,
    run_job,
    summary_counts,
)

pytestmark = pytest.mark.django_db(transaction=True)


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip as a zip program writes it; names are taken as they are (even `../evil.jpg`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def import_portraits(
    client: Client, data: bytes, *, slug: str = "employees", filename: str = "photos.zip"
) -> Any:
    return post_file(client, "people:portrait_import", slug, data, filename)


def imported(client: Client, data: bytes, *, slug: str = "employees") -> Job:
    job = run_job(import_portraits(client, data, slug=slug))
    assert job.status == Job.Status.SUCCEEDED, (job.error, job.log)
    return job


def failures(job: Job) -> dict[str, str]:
    """File name -> reason, from the job's failure table."""
    assert job.summary["failure_columns"] == ["File", "Reason"]
    return dict(job.summary["failures"])


def photo_of(personnel_id: str) -> Photo | None:
    photo: Photo | None = Person.objects.get(personnel_id=personnel_id).photo
    return photo


def test_photos_named_by_personnel_id_are_attached_to_those_persons(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001", first_name="Barack")
    make_person("A2", first_name="Joe")
    make_person("1003", first_name="No photo in the zip")
    obama = face_images.portrait("obama.jpg")
    biden = face_images.encode(face_images.portrait_image("biden.jpg", width=480), "PNG")
    admin = client_for("a-admin")
    job = imported(admin, zipped({"photos/1001.jpg": obama, "a2.PNG": biden}))

    assert job.title == "Importing portrait photos"
    assert (job.progress_done, job.progress_total) == (2, 2)
    assert job.progress_note == "2 imported, 0 failed"
    assert summary_counts(job) == {"Files": 2, "Imported": 2, "Failed": 0}
    assert job.summary["failures"] == []
    assert not job.result_file
    assert "The portrait photos in this file have been imported." in job.log

    enterprise = acme.enterprise_a.pk
    for personnel_id, data, suffix in (("1001", obama, "jpg"), ("A2", biden, "png")):
        photo = photo_of(personnel_id)
        assert photo is not None
        sha = hashlib.sha256(data).hexdigest()
        assert photo.sha256 == sha
        assert photo.file.name == f"photos/{enterprise}/{sha[:2]}/{sha}.{suffix}"
        assert Path(settings.MEDIA_ROOT, photo.file.name).read_bytes() == data
        assert len(photo.embedding) > 0
    assert photo_of("1003") is None
    pk = Person.objects.get(personnel_id="1001").pk
    status, body, _disposition = download(admin, reverse("people:person_photo", args=[pk]))
    assert (status, body) == (200, obama)
    assert media_files("imports") == []  # the upload is removed once read


def test_each_refused_file_is_listed_with_its_reason_and_nothing_leaves_the_media_folder(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    for personnel_id in ("1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008"):
        make_person(personnel_id)
    make_person("V1", category=Category.VISITOR)
    good = face_images.portrait()
    members = {
        "1001.jpg": good,
        "9999.jpg": face_images.portrait("biden.jpg"),
        "V1.jpg": face_images.portrait("obama2.jpg"),
        "1002.jpg": face_images.no_face(),
        "1003.jpg": face_images.two_faces(),
        "1004.jpg": face_images.tiny_face(),
        "1005.jpg": face_images.oversized_photo(min_bytes=600 * 1024),
        "1006.png": face_images.lying_png(),
        "1007.jpg": b"this is not a photo",
        "1008.jpg": face_images.truncated(face_images.portrait("obama3.jpg")),
        "../evil.jpg": good,
        "/abs.jpg": good,
        "inner.zip": zipped({"1001.jpg": good}),
        "1001-again.jpg": zipped({"1001.jpg": good}),  # an archive in disguise
        "notes.txt": b"1001 is Barack",
    }
    admin = client_for("a-admin")
    job = imported(admin, zipped(members))

    reasons = failures(job)
    assert sorted(reasons) == sorted(set(members) - {"1001.jpg"})
    expected = {
        "9999.jpg": "No employee has the personnel ID 9999.",
        "V1.jpg": "No employee has the personnel ID V1.",
        "1002.jpg": "No face was found in the photo.",
        "1003.jpg": "The photo shows 2 faces; a portrait must show exactly one face.",
        "1004.jpg": "The face is too small",
        "1005.jpg": "is larger than 500.0\xa0KB",  # filesizeformat keeps number and unit together
        "1006.png": "million pixels",
        "1007.jpg": "Only jpg and png photos are accepted.",
        "1008.jpg": "the file is damaged",
        "../evil.jpg": "leads out of the archive",
        "/abs.jpg": "the path is absolute",
        "inner.zip": "an archive inside the archive",
        "1001-again.jpg": "an archive inside the archive",
        "notes.txt": "not an accepted file type",
    }
    for name, reason in expected.items():
        assert reason in reasons[name], (name, reasons[name])
    assert job.progress_note == f"1 imported, {len(expected)} failed"
    assert (job.progress_done, job.progress_total) == (len(members), len(members))
    assert summary_counts(job) == {"Files": len(members), "Imported": 1, "Failed": len(expected)}
    with_photo = Person.objects.filter(photo__isnull=False)
    assert list(with_photo.values_list("personnel_id", flat=True)) == ["1001"]

    # the failure table is also a file to download, one row per refused file
    _status, body, disposition = download(admin, reverse("core:job_result", args=[job.pk]))
    assert disposition == 'attachment; filename="Portrait_import_failures.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == set(expected)

    # zip-slip: the one photo and the failure file are all that was written, nothing outside
    written = [path.relative_to(settings.MEDIA_ROOT).parts[0] for path in media_files()]
    assert sorted(written) == ["jobs", "photos"]
    assert [path.name for path in media_files("photos")] == [
        f"{hashlib.sha256(good).hexdigest()}.jpg"
    ]
    for root in (Path(settings.MEDIA_ROOT).parent, Path(settings.DATA_DIR)):
        assert not list(root.rglob("evil.jpg")), root
    assert not Path("/abs.jpg").exists()


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("1001.jpg", face_images.portrait, "The file is not a zip file."),
        ("photos.zip", lambda: b"Rar!\x1a\x07\x00 not a zip", "The file is not a zip file."),
        ("photos.zip", lambda: b"", "The submitted file is empty."),
    ],
    ids=["a-photo", "a-rar-named-zip", "empty"],
)
def test_a_file_that_is_not_a_zip_is_refused_at_the_form(
    acme: Any, client_for: Any, filename: str, content: Any, message: str
) -> None:
    response = import_portraits(client_for("a-admin"), content(), filename=filename)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job._base_manager.exists()
    assert media_files() == []


def test_a_damaged_zip_is_refused_on_the_form_and_starts_no_job(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001")
    whole = zipped({"1001.jpg": face_images.portrait()})
    response = import_portraits(client_for("a-admin"), whole[: len(whole) // 3])
    assert response.status_code == 200
    assert "The zip archive is damaged and cannot be read." in response.content.decode()
    assert not Job.objects.filter(kind="people.import_portraits").exists()
    assert photo_of("1001") is None
    assert media_files() == []


def test_the_same_photo_for_two_persons_is_stored_once(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001", first_name="Barack")
    make_person("1002", first_name="Twin")
    photo = face_images.portrait()
    admin = client_for("a-admin")
    job = imported(admin, zipped({"1001.jpg": photo, "1002.jpg": photo}))
    assert summary_counts(job)["Imported"] == 2
    # the second one is kept, with a warning naming the first
    assert re.search(r"1002\.jpg: This face looks like Barack \(1001\)", job.log)

    assert Photo.objects.count() == 1
    stored = Photo.objects.get()
    assert photo_of("1001") == stored == photo_of("1002")
    sha = hashlib.sha256(photo).hexdigest()
    expected = f"photos/{acme.enterprise_a.pk}/{sha[:2]}/{sha}.jpg"
    assert stored.file.name == expected
    assert media_files("photos") == [Path(settings.MEDIA_ROOT, expected)]

    imported(admin, zipped({"1001.jpg": photo, "1002.jpg": photo}))  # again: nothing new
    assert Photo.objects.count() == 1
    assert media_files("photos") == [Path(settings.MEDIA_ROOT, expected)]


def test_a_new_photo_replaces_the_old_one_and_the_old_file_goes(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001")
    admin = client_for("a-admin")
    first = face_images.portrait("obama.jpg")
    second = face_images.portrait("obama.jpg", width=400)
    imported(admin, zipped({"1001.jpg": first}))
    imported(admin, zipped({"1001.jpg": second}))
    photo = photo_of("1001")
    assert photo is not None
    assert photo.sha256 == hashlib.sha256(second).hexdigest()
    assert Photo.objects.count() == 1
    assert [path.read_bytes() for path in media_files("photos")] == [second]


@pytest.mark.parametrize(
    ("slug", "category"), [("visitors", Category.VISITOR), ("blacklist", Category.BLACKLIST)]
)
def test_each_page_imports_portraits_for_its_own_category(
    acme: Any, client_for: Any, make_person: Any, slug: str, category: Category
) -> None:
    make_person("1001", category=category)
    make_person("1002")
    photo = face_images.portrait()
    job = imported(
        client_for("a-admin"),
        zipped({"1001.jpg": photo, "1002.jpg": face_images.portrait("biden.jpg")}),
        slug=slug,
    )
    label = str(category.label).lower()
    assert failures(job) == {"1002.jpg": f"No {label} has the personnel ID 1002."}
    assert photo_of("1001") is not None
    assert photo_of("1002") is None


def test_a_member_attaches_photos_only_to_persons_it_can_see(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    grant_member(acme, *MEMBER_PEOPLE_PERMISSIONS)
    make_person("1001", group=acme.a_sub_group)
    make_person("1002", group=acme.a_sibling_group)
    make_person("1003")
    photos = {
        "1001.jpg": face_images.portrait("obama.jpg"),
        "1002.jpg": face_images.portrait("biden.jpg"),
        "1003.jpg": face_images.portrait("obama3.jpg"),
    }
    job = imported(client_for("a-member"), zipped(photos))
    assert job.group_path == acme.a_sub_group.path
    assert failures(job) == {
        "1002.jpg": "No employee has the personnel ID 1002.",
        "1003.jpg": "No employee has the personnel ID 1003.",
    }
    assert photo_of("1001") is not None
    assert photo_of("1002") is None
    assert photo_of("1003") is None


def test_the_portrait_page_needs_the_import_permission(acme: Any, client_for: Any) -> None:
    grant_member(acme, "people.view", "people.change")
    member = client_for("a-member")
    url = reverse("people:portrait_import", args=["employees"])
    assert member.get(url).status_code == 403
    assert import_portraits(member, zipped({"1001.jpg": b"x"})).status_code == 403
    assert not Job._base_manager.exists()
    assert media_files() == []


def test_the_job_page_shows_the_progress_note_and_the_failure_table(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001")
    admin = client_for("a-admin")
    job = run_job(
        import_portraits(
            admin, zipped({"1001.jpg": face_images.portrait(), "1002.jpg": face_images.no_face()})
        )
    )
    page = admin.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert "1 imported, 1 failed" in page
    assert "1002.jpg" in page
    assert "No employee has the personnel ID 1002." in page


def test_two_photos_for_one_person_keep_the_first_and_report_the_second(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001")
    first = face_images.portrait("obama.jpg")
    second = face_images.encode(face_images.portrait_image("obama2.jpg", width=480), "PNG")
    job = imported(client_for("a-admin"), zipped({"1001.jpg": first, "1001.png": second}))
    assert failures(job) == {
        "1001.png": "1001.jpg is already this person's photo; one photo per person."
    }
    photo = photo_of("1001")
    assert photo is not None
    assert photo.sha256 == hashlib.sha256(first).hexdigest()
    assert job.progress_note == "1 imported, 1 failed"


@pytest.mark.parametrize(
    "members",
    [{}, {"__MACOSX/._1001.jpg": b"x", "photos/": b"", ".DS_Store": b"x"}],
    ids=["empty", "only-what-zip-programs-add"],
)
def test_a_zip_without_photos_fails_with_a_clear_error(
    acme: Any, client_for: Any, members: dict[str, bytes]
) -> None:
    job = run_job(import_portraits(client_for("a-admin"), zipped(members)))
    assert job.status == Job.Status.FAILED
    assert job.error == "The zip file holds no photos."


def test_failure_reasons_are_in_the_language_of_the_user_who_imported(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    from django.utils import translation

    make_person("1001")
    acme.a_admin.language = "fr"
    acme.a_admin.save(update_fields=["language"])
    job = imported(client_for("a-admin"), zipped({"1001.jpg": face_images.no_face()}))
    with translation.override("fr"):
        file_column = translation.gettext("File")
        failed = translation.gettext("Failed")
        reason = translation.gettext("No face was found in the photo.")
    assert (file_column, failed) != ("File", "Failed")  # the catalogue has them
    assert job.summary["failure_columns"][0] == file_column
    assert summary_counts(job)[failed] == 1
    assert job.summary["failures"] == [["1001.jpg", reason]]
