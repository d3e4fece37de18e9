"""Decoding uploads: only JPEG and PNG, within 500 KB and the pixel limit, upright and as BGR, and
every bad file refused with a reason code (never another exception)."""

from __future__ import annotations

import functools
import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from tests import face_images as images

from gatehouse.faces import (
    MAX_PHOTO_BYTES,
    DecodedPhoto,
    PhotoRejected,
    RejectReason,
    decode_photo,
)

pytestmark = pytest.mark.usefixtures("face_images")


def rejection(data: bytes, **limits: int) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        decode_photo(data, **limits)
    return caught.value


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_jpeg_portrait_decodes_to_bgr_pixels_of_the_photo() -> None:
    data = images.portrait()
    photo = decode_photo(data)

    rgb = np.asarray(images.portrait_image())  # the same pixels before JPEG coding
    assert photo.format == "jpeg"
    assert (photo.width, photo.height) == (rgb.shape[1], rgb.shape[0])
    assert photo.bgr.shape == (photo.height, photo.width, 3)
    assert photo.bgr.dtype == np.uint8
    assert photo.bgr.flags.c_contiguous
    assert photo.byte_size == len(data)
    channel_means = photo.bgr.reshape(-1, 3).mean(axis=0)
    assert np.allclose(channel_means[::-1], rgb.reshape(-1, 3).mean(axis=0), atol=2.0)


def test_the_format_comes_from_the_bytes() -> None:
    assert decode_photo(images.palette_png_portrait()).format == "png"
    assert decode_photo(images.portrait()).format == "jpeg"


@pytest.mark.parametrize("image_format", ["GIF", "BMP", "WEBP", "TIFF"])
def test_other_image_formats_are_refused(image_format: str) -> None:
    buffer = io.BytesIO()
    images.portrait_image(width=64).save(buffer, image_format)

    error = rejection(buffer.getvalue())

    assert error.reason == RejectReason.UNSUPPORTED_FORMAT
    assert error.details == {"allowed": "jpeg,png"}


def test_an_empty_file_is_refused() -> None:
    assert rejection(b"").reason == RejectReason.EMPTY


def test_a_real_photo_over_500_kb_is_refused_before_decoding() -> None:
    data = images.image_bytes("obama3.jpg")  # 596 KB straight from the camera
    error = rejection(data)

    assert error.reason == RejectReason.TOO_LARGE
    assert error.details == {"size": len(data), "limit": MAX_PHOTO_BYTES}


def test_a_2_mb_photo_is_refused_and_the_byte_limit_can_be_set() -> None:
    big = images.oversized_photo(2 * 1024 * 1024)
    assert rejection(big).details["size"] == len(big)

    small = images.portrait()
    error = rejection(small, max_bytes=len(small) - 1)
    assert error.reason == RejectReason.TOO_LARGE
    assert error.details["limit"] == len(small) - 1


def test_a_png_whose_header_claims_50000_by_50000_is_refused_unread() -> None:
    error = rejection(images.lying_png(50_000, 50_000))

    assert error.reason == RejectReason.TOO_MANY_PIXELS
    assert error.details == {
        "width": 50_000,
        "height": 50_000,
        "pixels": 2_500_000_000,
        "limit": 24_000_000,
    }


def test_a_png_lying_within_the_pixel_limit_is_refused_as_corrupt() -> None:
    error = rejection(images.lying_png(4_000, 5_000))

    assert error.reason == RejectReason.CORRUPT
    assert error.details["format"] == "png"


def test_the_pixel_limit_can_be_set() -> None:
    data = images.portrait()
    photo = decode_photo(data)

    error = rejection(data, max_pixels=100_000)

    assert error.reason == RejectReason.TOO_MANY_PIXELS
    assert error.details == {
        "width": photo.width,
        "height": photo.height,
        "pixels": photo.width * photo.height,
        "limit": 100_000,
    }


@pytest.mark.parametrize("keep", [0.02, 0.5, 0.95])
@pytest.mark.parametrize("name", ["jpeg", "png"])
def test_truncated_uploads_are_refused_as_corrupt(name: str, keep: float) -> None:
    data = images.portrait() if name == "jpeg" else images.palette_png_portrait()

    error = rejection(images.truncated(data, keep))

    assert error.reason == RejectReason.CORRUPT
    assert error.details["format"] == name


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff" + b"\x00" * 100,
        b"\xff\xd8\xff\xe0garbage" * 50,
        b"\x89PNG\r\n\x1a\n" + b"\xff" * 100,
        b"\x89PNG\r\n\x1a\n",
    ],
    ids=["jpeg-zeros", "jpeg-garbage", "png-garbage", "png-signature-only"],
)
def test_garbage_behind_a_valid_signature_is_refused_as_corrupt(data: bytes) -> None:
    assert rejection(data).reason == RejectReason.CORRUPT


def test_a_png_with_a_broken_checksum_is_refused_as_corrupt() -> None:
    data = bytearray(images.palette_png_portrait())
    data[29] ^= 0xFF  # inside the IHDR CRC
    assert rejection(bytes(data)).reason == RejectReason.CORRUPT


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_orientation_turns_phone_photos_upright(orientation: int) -> None:
    upright = decode_photo(images.portrait())

    rotated = decode_photo(images.exif_rotated_portrait(orientation))

    assert (rotated.width, rotated.height) == (upright.width, upright.height)
    difference = np.abs(rotated.bgr.astype(np.int16) - upright.bgr.astype(np.int16))
    assert float(difference.mean()) < 3.0


def test_transparent_png_areas_become_white() -> None:
    rgba = Image.new("RGBA", (4, 2), (0, 0, 0, 0))
    rgba.putpixel((1, 0), (255, 0, 0, 255))  # opaque red
    rgba.putpixel((2, 0), (0, 0, 255, 128))  # half-transparent blue

    bgr = decode_photo(png(rgba)).bgr

    assert bgr[1, 0].tolist() == [255, 255, 255]
    assert bgr[0, 1].tolist() == [0, 0, 255]
    assert bgr[0, 2].tolist() == pytest.approx([255, 127, 127], abs=1)


def test_an_rgba_photo_decodes_with_its_colours() -> None:
    photo = decode_photo(images.transparent_png_portrait())
    original = np.asarray(images.portrait_image("32bit.png", width=360).convert("RGB"))

    assert photo.bgr.shape == (*original.shape[:2], 3)
    assert np.abs(photo.bgr[:, :, ::-1].astype(np.int16) - original).max() <= 1


def test_a_16_bit_grayscale_png_keeps_its_tones() -> None:
    gray = np.asarray(images.portrait_image(width=360).convert("L"))

    bgr = decode_photo(images.sixteen_bit_png_portrait()).bgr

    assert np.array_equal(bgr[:, :, 0], gray)
    assert np.array_equal(bgr[:, :, 0], bgr[:, :, 2])


def test_palette_grayscale_and_cmyk_images_decode_to_bgr() -> None:
    source = images.portrait_image(width=120)
    expected = np.asarray(source.convert("L"), dtype=np.int16)
    gray_jpeg = io.BytesIO()
    source.convert("L").save(gray_jpeg, "JPEG", quality=95)
    cmyk_jpeg = io.BytesIO()
    source.convert("CMYK").save(cmyk_jpeg, "JPEG", quality=95)

    for data in (images.palette_png_portrait(), gray_jpeg.getvalue(), cmyk_jpeg.getvalue()):
        photo = decode_photo(data)
        assert photo.bgr.ndim == 3
        assert photo.bgr.shape[2] == 3
    gray = decode_photo(gray_jpeg.getvalue()).bgr
    assert np.abs(gray[:, :, 1].astype(np.int16) - expected).mean() < 3.0
    cmyk = decode_photo(cmyk_jpeg.getvalue()).bgr
    assert np.abs(cmyk.astype(np.int16) - np.asarray(source)[:, :, ::-1]).mean() < 6.0


@functools.cache
def _small_png() -> bytes:
    return png(images.portrait_image(width=24))


@functools.cache
def _small_jpeg() -> bytes:
    buffer = io.BytesIO()
    images.portrait_image(width=24).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _mutated(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    mutable = bytearray(data)
    for position, value in edits:
        mutable[position % len(mutable)] = value
    return bytes(mutable[: max(1, len(mutable) - cut)])


def _chunked_png(chunk_type: bytes, payload: bytes) -> bytes:
    """A PNG signature followed by one chunk with a valid CRC, then whatever the payload is."""
    crc = zlib.crc32(chunk_type + payload) & 0xFFFFFFFF
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(payload))
        + chunk_type
        + payload
        + struct.pack(">I", crc)
    )


edits = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8)
arbitrary_uploads = st.one_of(
    st.binary(max_size=4096),
    st.binary(max_size=2048).map(lambda tail: b"\xff\xd8\xff" + tail),
    st.binary(max_size=2048).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
    st.builds(_chunked_png, st.sampled_from([b"IHDR", b"IDAT", b"iCCP", b"zTXt"]), st.binary()),
    st.builds(lambda e, c: _mutated(_small_png(), e, c), edits, st.integers(0, 600)),
    st.builds(lambda e, c: _mutated(_small_jpeg(), e, c), edits, st.integers(0, 600)),
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=arbitrary_uploads)
def test_arbitrary_bytes_only_ever_raise_photo_rejected(data: bytes) -> None:
    outcome = decode_or_rejection(data)  # any other exception fails the test

    if isinstance(outcome, PhotoRejected):
        assert isinstance(outcome.reason, RejectReason)
        assert all(isinstance(value, int | float | str) for value in outcome.details.values())
    else:
        assert outcome.bgr.shape == (outcome.height, outcome.width, 3)
        assert outcome.bgr.dtype == np.uint8


def decode_or_rejection(data: bytes) -> DecodedPhoto | PhotoRejected:
    try:
        return decode_photo(data)
    except PhotoRejected as error:
        return error
