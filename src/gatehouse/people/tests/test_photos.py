"""Face photos through the service: the face check with real photos, content-addressed storage,
the duplicate-face warning. The photos come from tests.face_images (fetched, never committed)."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import translation
from tests import face_images

from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.people import services
from gatehouse.people.models import Person, Photo


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def test_a_portrait_is_checked_stored_by_its_hash_and_embedded(
    make_person: Any, admin_actor: Actor
) -> None:
    person = make_person("1001")
    data = face_images.portrait("obama.jpg")
    outcome = services.set_photo(person, actor=admin_actor, data=data)
    assert outcome.warnings == []
    photo = Person.objects.get(pk=person.pk).photo
    assert photo is not None
    digest = hashlib.sha256(data).hexdigest()
    assert photo.sha256 == digest
    assert photo.file.name == f"photos/{person.enterprise_id}/{digest[:2]}/{digest}.jpg"
    with default_storage.open(photo.file.name) as stored:
        assert stored.read() == data
    assert len(bytes(photo.embedding)) == 512  # 128 float32


@pytest.mark.parametrize(
    ("make_photo", "reason", "words"),
    [
        (face_images.no_face, "photo_no_face", "No face was found"),
        (face_images.two_faces, "photo_several_faces", "exactly one face"),
        (face_images.tiny_face, "photo_face_too_small", "one third of the photo's width"),
        (face_images.oversized_photo, "photo_too_large", "at most 500 KB"),
        (face_images.lying_png, "photo_too_many_pixels", "million pixels"),
        (face_images.blurred_face, "photo_too_blurred", "too blurred"),
        (lambda: b"GIF89a not a portrait", "photo_unsupported_format", "jpg and png"),
        (
            lambda: face_images.truncated(face_images.portrait()),
            "photo_corrupt",
            "cannot be read",
        ),
    ],
)
def test_each_refusal_names_its_reason_and_keeps_the_old_photo(
    make_person: Any, admin_actor: Actor, make_photo: Any, reason: str, words: str
) -> None:
    person = make_person("1001")
    services.set_photo(person, actor=admin_actor, data=face_images.portrait("obama.jpg"))
    before = Person.objects.get(pk=person.pk).photo_id
    with pytest.raises(ServiceError) as refused:
        services.set_photo(person, actor=admin_actor, data=make_photo())
    assert refused.value.code == reason
    assert refused.value.field == "photo"
    assert words in refused.value.message
    assert Person.objects.get(pk=person.pk).photo_id == before
    assert Photo.objects.count() == 1


def test_refusals_are_in_the_users_language(make_person: Any, admin_actor: Actor) -> None:
    person = make_person("1001")
    with translation.override("fr"), pytest.raises(ServiceError) as refused:
        services.set_photo(person, actor=admin_actor, data=face_images.no_face())
    with translation.override("en"):
        english = "No face was found in the photo."
    assert refused.value.message != english


def test_the_same_photo_is_stored_once_and_removed_with_its_last_person(
    make_person: Any, admin_actor: Actor
) -> None:
    data = face_images.portrait("biden.jpg")
    first, second = make_person("1001"), make_person("1002")
    services.set_photo(first, actor=admin_actor, data=data)
    outcome = services.set_photo(second, actor=admin_actor, data=data)
    assert Photo.objects.count() == 1
    assert outcome.warnings  # the same face as person 1001
    photo = Photo.objects.get()
    services.remove_photo(first, actor=admin_actor)
    assert Photo.objects.filter(pk=photo.pk).exists()  # still used by 1002
    services.delete_person(Person.objects.get(pk=second.pk), actor=admin_actor)
    assert not Photo.objects.exists()


def test_a_face_already_enrolled_warns_with_that_persons_name(
    make_person: Any, admin_actor: Actor, member_actor: Actor, acme: Any
) -> None:
    ada = make_person("1001", first_name="Ada", group=acme.a_sibling_group)
    services.set_photo(ada, actor=admin_actor, data=face_images.portrait("obama.jpg"))
    bob = make_person("1002", first_name="Bob")
    outcome = services.set_photo(bob, actor=admin_actor, data=face_images.portrait("obama2.jpg"))
    assert len(outcome.warnings) == 1
    assert "Ada (1001)" in outcome.warnings[0]
    # someone who cannot see Ada's group is warned without her name
    carl = make_person("1003", first_name="Carl", group=acme.a_sub_group, actor=member_actor)
    outcome = services.set_photo(carl, actor=member_actor, data=face_images.portrait("obama3.jpg"))
    assert outcome.warnings
    assert all("Ada" not in warning for warning in outcome.warnings)
    assert "outside your part of the organization" in outcome.warnings[0]
    # a different person's face raises no warning
    dan = make_person("1004", first_name="Dan")
    assert (
        services.set_photo(dan, actor=admin_actor, data=face_images.portrait("biden.jpg")).warnings
        == []
    )


def test_lists_get_a_small_thumbnail_that_goes_with_the_photo(
    make_person: Any, admin_actor: Actor, acme: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from PIL import Image
    from tests.support import login_client

    from gatehouse.people.photos import thumbnail_path

    person = make_person("1001")
    services.set_photo(person, actor=admin_actor, data=face_images.portrait("obama.jpg"))
    photo = Person.objects.get(pk=person.pk).photo
    assert photo is not None
    thumb_name = thumbnail_path(photo.file.name)
    with default_storage.open(thumb_name) as stored:
        thumb = stored.read()
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "JPEG"
        assert max(image.size) <= 96
    assert len(thumb) < len(face_images.portrait("obama.jpg")) / 5
    client = login_client("a-admin")
    response = client.get(f"/people/persons/{person.pk}/photo/?size=thumb")
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == thumb  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):  # files go once the removal commits
        services.remove_photo(Person.objects.get(pk=person.pk), actor=admin_actor)
    assert not default_storage.exists(thumb_name)
    assert not default_storage.exists(photo.file.name)
    response.close()  # last: closing a response ends the request (and its connection)
