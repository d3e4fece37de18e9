"""Portrait import in bulk (Smart Pass 4.1.3): a zip of photos named after personnel IDs, each
through the same face check as a single upload. The import job and the benchmark call this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.utils.translation import gettext as _

from gatehouse.audit import services as audit
from gatehouse.core import events
from gatehouse.core.actors import Actor
from gatehouse.core.archives import ArchiveError, open_zip, read_zip
from gatehouse.core.errors import ServiceError
from gatehouse.people import photos, services, workbooks
from gatehouse.people.models import Category, Person

# Members and sizes a browser upload of a folder of photos stays well within; the bytes of the
# whole archive are held in memory while it is read, hence the total.
PORTRAIT_MEMBER_LIMIT = 5000
PORTRAIT_TOTAL_BYTES = 300 * 1024 * 1024
PORTRAIT_SUFFIXES = {".jpg", ".jpeg", ".png"}
PORTRAIT_CHUNK = 50


@dataclass
class PortraitReport:
    total: int = 0
    imported: int = 0
    # (file name, reason), in the order the files were met
    failures: list[list[str]] = field(default_factory=list)

    def note(self) -> str:
        """The manual's progress line: "x sheets imported, y failed"."""
        return _("%(imported)d imported, %(failed)d failed") % {
            "imported": self.imported,
            "failed": len(self.failures),
        }


def check_zip_upload(data: bytes) -> None:
    """Refuse at upload what is not a readable zip, so the user hears it on the form."""
    if not data.startswith(b"PK"):
        raise ServiceError(_("The file is not a zip file."), field="file")
    try:
        open_zip(data).close()
    except ArchiveError as exc:
        raise ServiceError(str(exc), field="file") from None


def _person_for(
    name: str, by_id: dict[str, Person], photo_files: dict[int, str], category_label: str
) -> Person:
    """The person a file is named after, if it has not had its photo from this zip yet."""
    personnel_id = PurePath(name).stem
    person = by_id.get(personnel_id.casefold())
    if person is None:
        raise ServiceError(
            _("No %(category)s has the personnel ID %(id)s.")
            % {"category": category_label, "id": personnel_id}
        )
    if person.pk in photo_files:
        raise ServiceError(
            _("%(file)s is already this person's photo; one photo per person.")
            % {"file": photo_files[person.pk]}
        )
    return person


def import_portrait_zip(
    data: bytes,
    *,
    actor: Actor,
    enterprise_id: int,
    category: str,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> PortraitReport:
    """Give each person of `category` the actor may see the photo named after its personnel
    ID. Each photo commits or fails on its own; refusals are reported per file."""
    try:
        contents = read_zip(
            data,
            allowed_suffixes=PORTRAIT_SUFFIXES,
            max_members=PORTRAIT_MEMBER_LIMIT,
            max_member_bytes=photos.MAX_PHOTO_BYTES,
            max_total_bytes=PORTRAIT_TOTAL_BYTES,
        )
    except ArchiveError as exc:
        raise ServiceError(str(exc)) from None
    if not contents.files and not contents.rejected:
        raise ServiceError(_("The zip file holds no photos."))
    report = PortraitReport(
        total=len(contents.files) + len(contents.rejected),
        failures=[[member.name, member.message] for member in contents.rejected],
    )
    visible = workbooks.visible_persons(actor).filter(category=category)
    by_id = {p.personnel_id.casefold(): p for p in visible.select_related("group")}
    gallery = photos.FaceGallery.load(enterprise_id)
    label = str(Category(category).label).lower()
    photo_files: dict[int, str] = {}  # person -> the file that gave it a photo in this zip
    if on_progress is not None:
        on_progress(len(contents.rejected), report.total, report.note())
    files = contents.files
    done = len(contents.rejected)
    # Photos commit in chunks, each in its own savepoint, with their log entries chained once
    # per chunk; no live event per photo (the job's progress tells the console).
    for start in range(0, len(files), PORTRAIT_CHUNK):
        with transaction.atomic(), events.quiet(), audit.batched() as batch:
            for member in files[start : start + PORTRAIT_CHUNK]:
                done += 1
                mark = batch.mark()
                try:
                    person = _person_for(member.name, by_id, photo_files, label)
                    with transaction.atomic():
                        outcome = services.set_photo(
                            person, actor=actor, data=member.data, gallery=gallery
                        )
                except ServiceError as exc:
                    batch.discard_since(mark)
                    report.failures.append([member.name, exc.message])
                else:
                    report.imported += 1
                    photo_files[person.pk] = member.name
                    if on_warning is not None:
                        for warning in outcome.warnings:
                            on_warning(f"{member.name}: {warning}")
                if on_progress is not None:
                    on_progress(done, report.total, report.note())
    return report
