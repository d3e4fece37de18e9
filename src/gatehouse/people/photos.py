"""Face photos for persons: the face check's verdict in the user's language, content-addressed
storage (one file per enterprise and SHA-256) and the enterprise's face gallery for the
"this face is already enrolled as ..." warning."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from gatehouse import faces
from gatehouse.core.errors import ServiceError
from gatehouse.people.models import Person, Photo

if TYPE_CHECKING:
    from gatehouse.core.actors import Actor

MAX_PHOTO_BYTES = 500 * 1024  # Smart Pass 4.1.1: "the size does not exceed 500kb"


def rejection_message(reason: str, details: dict[str, Any]) -> str:
    """The face check's reason, in the active language, with its figures."""
    messages = {
        "too_large": _("The photo is %(size)s KB; at most %(limit)s KB is allowed."),
        "empty": _("The file is empty."),
        "unsupported_format": _("Only jpg and png photos are accepted."),
        "corrupt": _("The photo cannot be read: the file is damaged or not an image."),
        "too_many_pixels": _(
            "The photo is %(width)s x %(height)s pixels; at most %(limit)s million pixels "
            "are accepted."
        ),
        "no_face": _("No face was found in the photo."),
        "several_faces": _(
            "The photo shows %(count)s faces; a portrait must show exactly one face."
        ),
        "face_too_small": _(
            "The face is too small: it must take at least one third of the photo's width."
        ),
        "too_blurred": _("The photo is too blurred; choose a sharper one."),
        "too_dark": _("The photo is too dark; choose one with even light."),
        "too_bright": _("The photo is overexposed; choose one with even light."),
    }
    template = messages.get(reason)
    if template is None:
        return _("The photo cannot be used for face recognition.")
    figures = dict(details)
    if "size" in figures:
        figures["size"] = max(1, round(int(figures["size"]) / 1024))
    if "limit" in figures and reason == "too_large":
        figures["limit"] = round(int(figures["limit"]) / 1024)
    if "limit" in figures and reason == "too_many_pixels":
        figures["limit"] = round(int(figures["limit"]) / 1_000_000)
    try:
        return template % figures
    except (KeyError, TypeError, ValueError):
        return template.split("%(")[0].rstrip(" ;:,") or template


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    sha256: str
    image_format: str
    width: int
    height: int
    embedding: np.ndarray[Any, np.dtype[np.float32]]
    face_box: list[int]


def check(data: bytes) -> CheckedPhoto:
    """Decode safely and run the face check; a refusal is a ServiceError on the photo field."""
    try:
        decoded = faces.decode_photo(data, max_bytes=MAX_PHOTO_BYTES)
        result = faces.check_face(decoded)
    except faces.PhotoRejected as exc:
        raise ServiceError(
            rejection_message(str(exc.reason), dict(exc.details)),
            field="photo",
            code=f"photo_{exc.reason}",
        ) from None
    return CheckedPhoto(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        image_format=decoded.format,
        width=decoded.width,
        height=decoded.height,
        embedding=result.embedding,
        face_box=[result.box.x, result.box.y, result.box.width, result.box.height],
    )


def photo_path(enterprise_id: int, sha256: str, image_format: str) -> str:
    suffix = "png" if image_format == "png" else "jpg"
    return f"photos/{enterprise_id}/{sha256[:2]}/{sha256}.{suffix}"


def store(enterprise_id: int, checked: CheckedPhoto) -> Photo:
    """The enterprise's Photo for these bytes, written once whoever uploads them again."""
    existing: Photo | None = Photo.objects.filter(
        enterprise_id=enterprise_id, sha256=checked.sha256
    ).first()
    if existing is not None:
        return existing
    # Written before the row commits; a rolled-back upload leaves a file with no row, which
    # the periodic photo clean-up (people.jobs.PhotoCleanup) removes.
    name = photo_path(enterprise_id, checked.sha256, checked.image_format)
    saved = (
        name
        if default_storage.exists(name)
        else default_storage.save(name, ContentFile(checked.data))
    )
    thumb = thumbnail_path(saved)
    if not default_storage.exists(thumb):
        default_storage.save(thumb, ContentFile(make_thumbnail(checked.data)))
    photo: Photo = Photo.objects.create(
        enterprise_id=enterprise_id,
        sha256=checked.sha256,
        file=saved,
        image_format=checked.image_format,
        width=checked.width,
        height=checked.height,
        byte_size=len(checked.data),
        embedding=faces.embedding_to_bytes(checked.embedding),
        face_box=checked.face_box,
    )
    return photo


def forget_if_unused(photo: Photo) -> None:
    """Delete a photo no person points at any more (its file once the deletion commits)."""
    if Person.objects.filter(photo=photo).exists():
        return
    name = photo.file.name
    photo.delete()
    if name:

        def delete_files() -> None:
            default_storage.delete(name)
            default_storage.delete(thumbnail_path(name))

        transaction.on_commit(delete_files)


THUMBNAIL_SIZE = (96, 96)  # lists show 40 px avatars; 96 stays sharp on high-density screens


def thumbnail_path(photo_name: str) -> str:
    """The list thumbnail beside a stored photo: <sha256>.thumb.jpg."""
    return f"{photo_name.rsplit('.', 1)[0]}.thumb.jpg"


def make_thumbnail(data: bytes) -> bytes:
    """A small JPEG for lists (a page of 100 persons should not load 100 full photos). The
    bytes passed the face check's safe decoding already."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        small = ImageOps.exif_transpose(image).convert("RGB")
        small.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


class FaceGallery:
    """The enterprise's enrolled faces, for the duplicate-face warning. Loaded once per
    request or import job; faces enrolled meanwhile go to a small second index, so a bulk
    import does not rebuild the large one for every photo."""

    def __init__(self, rows: list[tuple[int, str, str]], stored: list[tuple[int, bytes]]) -> None:
        # rows: (person id, label, group path), by position; stored: (position, embedding)
        self.rows = rows
        self.index: faces.EmbeddingIndex[int] = faces.EmbeddingIndex.from_stored(stored)
        self.added: list[tuple[int, bytes]] = []
        self.added_index: faces.EmbeddingIndex[int] | None = None

    @classmethod
    def load(cls, enterprise_id: int) -> FaceGallery:
        records = Person.objects.filter(
            enterprise_id=enterprise_id, photo__isnull=False
        ).values_list(
            "pk", "personnel_id", "first_name", "last_name", "group__path", "photo__embedding"
        )
        rows: list[tuple[int, str, str]] = []
        stored: list[tuple[int, bytes]] = []
        for pk, personnel_id, first, last, path, blob in records.iterator(chunk_size=2000):
            name = " ".join(part for part in (first, last) if part)
            stored.append((len(rows), bytes(blob)))
            rows.append((pk, f"{name} ({personnel_id})", path))
        return cls(rows, stored)

    def add(self, person: Person, photo: Photo) -> None:
        self.added.append((len(self.rows), bytes(photo.embedding)))
        self.rows.append((person.pk, str(person), person.group.path))
        self.added_index = None

    def matches(self, embedding: np.ndarray[Any, Any]) -> list[faces.Match[int]]:
        if self.added and self.added_index is None:
            self.added_index = faces.EmbeddingIndex.from_stored(self.added)
        found = self.index.search(embedding, limit=5)
        if self.added_index is not None:
            found.extend(self.added_index.search(embedding, limit=5))
        return sorted(found, key=lambda match: -match.score)

    def warnings_for(
        self, embedding: np.ndarray[Any, Any], *, exclude_person: int | None, actor: Actor
    ) -> list[str]:
        """Who else this face looks like; persons the actor cannot see stay unnamed."""
        user = actor.user
        visible_path = "" if user is None or user.is_superuser else user.group_path
        warnings: list[str] = []
        for match in self.matches(embedding):
            person_id, label, path = self.rows[match.key]
            if person_id == exclude_person:
                continue
            if path.startswith(visible_path):
                warnings.append(
                    _("This face looks like %(person)s (similarity %(score).2f).")
                    % {"person": label, "score": match.score}
                )
            else:
                warnings.append(
                    _(
                        "This face looks like a person outside your part of the organization "
                        "(similarity %(score).2f)."
                    )
                    % {"score": match.score}
                )
        return warnings
