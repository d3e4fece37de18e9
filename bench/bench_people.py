"""Personnel bulk work (issue "People"): import 10,000 persons from an xlsx file (goal <= 30 s)
and 1,000 portraits from a zip with the face check (goal <= 60 s, i.e. <= 50 ms per photo).

Both run the code the import jobs run, in this process, against the configured database
(scripts/bench.sh gives a fresh data folder; with DATABASE_URL, PostgreSQL). Baselines, measured
in the same run on the same data:
- import: inserting the same rows with one bulk_create (the database's own floor, without the
  per-row checks, audit entries and savepoints of the import);
- portraits: the bare face check of the same photos (decode, detect, quality, embed) without
  storage, database or duplicate-face search.
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import REPO_ROOT, Result, env_int, ratio

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatehouse.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if os.environ.get("DATABASE_URL"):
        os.environ.setdefault("GATEHOUSE_EMBEDDED", "false")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _enterprise() -> tuple[Any, Any, Any]:
    """A fresh enterprise: (enterprise, its administrator, its top group)."""
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import platform_scope
    from gatehouse.tenancy import services
    from gatehouse.tenancy.models import Group

    code = f"bench-{uuid.uuid4().hex[:8]}"
    with platform_scope():
        enterprise, admin, _password = services.create_enterprise(
            actor=Actor.system("bench"), code=code, name=code, admin_username=f"{code}-admin"
        )
        top = Group.objects.get(pk=admin.group_id)
    return enterprise, admin, top


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def _rows(count: int) -> list[list[object]]:
    return [
        [
            f"B{i:06d}",
            f"First{i}",
            f"Last{i}",
            "male" if i % 2 else "female",
            f"p{i}@example.com",
            f"+1 555 {i:07d}",
            f"{i + 10_000_000}",
            "1990-01-01",
        ]
        for i in range(count)
    ]


HEADERS = [
    "Personnel ID",
    "First name",
    "Last name",
    "Gender",
    "E-mail",
    "Mobile phone",
    "Card number",
    "Date of birth",
]


def import_persons() -> list[Result]:
    _django()
    from django.db import transaction

    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.core.spreadsheets import write_table
    from gatehouse.people import services, workbooks
    from gatehouse.people.models import Category, Person

    count = env_int("BENCH_PEOPLE_ROWS", 10_000)
    rows = _rows(count)
    data = write_table(title="bench", headers=HEADERS, rows=rows, file_format="xlsx")

    enterprise, _admin, top = _enterprise()
    with tenant_scope(enterprise.pk):
        grouping = services.default_person_group(top, Category.EMPLOYEE)

        def bulk() -> None:
            with transaction.atomic():
                Person.objects.bulk_create(
                    [
                        Person(
                            enterprise_id=enterprise.pk,
                            personnel_id=row[0],
                            first_name=str(row[1]),
                            last_name=str(row[2]),
                            gender=str(row[3]),
                            email=str(row[4]),
                            mobile_phone=str(row[5]),
                            card_number=str(row[6]),
                            person_group=grouping,
                            group=top,
                        )
                        for row in rows
                    ],
                    batch_size=1000,
                )

        baseline_seconds, _ = _timed(bulk)

    enterprise, admin, top = _enterprise()
    with tenant_scope(enterprise.pk):

        def run_import() -> Any:
            table, mapping = workbooks.open_workbook(data)
            return workbooks.import_rows(
                table,
                mapping,
                actor=Actor.for_user(admin),
                group=top,
                category=Category.EMPLOYEE,
                overwrite=False,
            )

        seconds, report = _timed(run_import)
    if report.created != count:
        raise RuntimeError(f"imported {report.created} of {count}: {report.failures[:3]}")
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    baseline = Result(
        name="people.bulk_insert_floor",
        figure=round(baseline_seconds, 2),
        unit="s",
        note=f"{count} rows, one bulk_create, {database}",
    )
    return [
        baseline,
        Result(
            name="people.import_xlsx",
            figure=round(seconds, 2),
            unit="s",
            baseline=baseline.name,
            ratio=ratio(seconds, baseline_seconds),
            note=f"{count} persons from xlsx (read, check, create, audit), goal <= 30 s for "
            f"10,000; {count / seconds:.0f} rows/s; {database}",
        ),
    ]


def _portrait_photos(count: int) -> list[bytes]:
    """`count` different portraits: the test photos, cropped, scaled and lit differently."""
    from PIL import ImageEnhance
    from tests import face_images

    names = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"]
    photos: list[bytes] = []
    for i in range(count):
        image = face_images.portrait_image(names[i % len(names)], width=420 + (i * 7) % 200)
        image = ImageEnhance.Brightness(image).enhance(0.85 + (i % 31) / 100)
        photos.append(face_images.encode(image))
    return photos


def import_portraits() -> list[Result]:
    _django()
    import cv2

    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.faces import check_photo
    from gatehouse.people import portraits, services
    from gatehouse.people.models import Category, Person

    cv2.setNumThreads(1)  # the goal is per core
    count = env_int("BENCH_PORTRAITS", 1000)
    photos = _portrait_photos(count)
    baseline_seconds, _ = _timed(lambda: [check_photo(photo) for photo in photos])

    enterprise, admin, top = _enterprise()
    with tenant_scope(enterprise.pk):
        grouping = services.default_person_group(top, Category.EMPLOYEE)
        Person.objects.bulk_create(
            [
                Person(
                    enterprise_id=enterprise.pk,
                    personnel_id=f"P{i:05d}",
                    first_name=f"P{i}",
                    person_group=grouping,
                    group=top,
                )
                for i in range(count)
            ]
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for i, photo in enumerate(photos):
                archive.writestr(f"P{i:05d}.jpg", photo)
        seconds, report = _timed(
            lambda: portraits.import_portrait_zip(
                buffer.getvalue(),
                actor=Actor.for_user(admin),
                enterprise_id=enterprise.pk,
                category=Category.EMPLOYEE,
            )
        )
    if report.imported != count:
        raise RuntimeError(f"imported {report.imported} of {count}: {report.failures[:3]}")
    baseline = Result(
        name="people.face_check_floor",
        figure=round(baseline_seconds, 2),
        unit="s",
        note=f"{count} photos, bare face check, 1 OpenCV thread",
    )
    return [
        baseline,
        Result(
            name="people.import_portraits",
            figure=round(seconds, 2),
            unit="s",
            baseline=baseline.name,
            ratio=ratio(seconds, baseline_seconds),
            note=f"{count} portraits from a zip (check, store, duplicate search, audit), goal "
            f"<= 60 s for 1,000; {seconds / count * 1000:.1f} ms per photo",
        ),
    ]


PARTS: dict[str, Callable[[], list[Result]]] = {
    "import": import_persons,
    "portraits": import_portraits,
}


def run() -> list[Result]:
    return [result for part in PARTS.values() for result in part()]


if __name__ == "__main__":  # pragma: no cover - `python bench/run.py people` is the way
    print(Path(__file__).name, "is run by bench/run.py")
