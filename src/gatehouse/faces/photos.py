"""Safe decoding of uploaded portrait photos (Smart Pass manual 4.1.1: jpg or png, at most 500 KB).

Every way a file can be wrong ends in `PhotoRejected` with a stable reason code and
machine-readable details, so the Django layer can word the message and nothing else can leak out
as a server error. Sizes are checked before any pixel is decoded: the byte size first, then the
dimensions the header declares (a 500 KB PNG can declare 50000 x 50000 pixels).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin

MAX_PHOTO_BYTES = 500 * 1024
# 24 MP holds any phone or camera portrait; a decoded 24 MP photo takes 72 MB as BGR.
MAX_PHOTO_PIXELS = 24_000_000

PhotoFormat = Literal["jpeg", "png"]
Details = dict[str, int | float | str]

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Transparent areas become white: the usual background of an ID photo.
_BACKGROUND_RGBA = (255, 255, 255, 255)


class RejectReason(StrEnum):
    """Stable codes; the Django layer maps each one to a translated message."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TOO_MANY_PIXELS = "too_many_pixels"
    CORRUPT = "corrupt"
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    FACE_TOO_SMALL = "face_too_small"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    TOO_BLURRED = "too_blurred"


class PhotoRejected(ValueError):  # noqa: N818 - a verdict on the photo, named in the API
    """A photo that cannot be used, with the reason code and its numbers (sizes, limits, counts)."""

    def __init__(self, reason: RejectReason, details: Details | None = None) -> None:
        self.reason = reason
        self.details: Details = dict(details or {})
        shown = ", ".join(f"{key}={value}" for key, value in self.details.items())
        super().__init__(f"{reason.value} ({shown})" if shown else reason.value)


@dataclass(frozen=True, eq=False)
class DecodedPhoto:
    """The decoded photo, upright (EXIF orientation applied), as 8-bit BGR for OpenCV."""

    format: PhotoFormat
    width: int
    height: int
    bgr: NDArray[np.uint8]
    byte_size: int


def sniff_format(data: bytes) -> PhotoFormat | None:
    """The format from the magic bytes; the file name and the declared type are not trusted."""
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    return None


def decode_photo(
    data: bytes,
    *,
    max_bytes: int = MAX_PHOTO_BYTES,
    max_pixels: int = MAX_PHOTO_PIXELS,
) -> DecodedPhoto:
    """Decode an uploaded JPEG or PNG, or raise `PhotoRejected`; never any other exception."""
    size = len(data)
    if size == 0:
        raise PhotoRejected(RejectReason.EMPTY, {"size": 0})
    if size > max_bytes:
        raise PhotoRejected(RejectReason.TOO_LARGE, {"size": size, "limit": max_bytes})
    photo_format = sniff_format(data)
    if photo_format is None:
        raise PhotoRejected(RejectReason.UNSUPPORTED_FORMAT, {"allowed": "jpeg,png"})
    try:
        image = _open_header(data, photo_format)
    except Exception as error:
        raise _corrupt(photo_format, error) from error
    try:
        width, height = image.size
        pixels = width * height
        if pixels > max_pixels:
            raise PhotoRejected(
                RejectReason.TOO_MANY_PIXELS,
                {"width": width, "height": height, "pixels": pixels, "limit": max_pixels},
            )
        if width < 1 or height < 1:
            raise PhotoRejected(RejectReason.CORRUPT, {"format": photo_format})
        bgr = _to_bgr(_upright(image, photo_format))
    except PhotoRejected:
        raise
    except Exception as error:
        raise _corrupt(photo_format, error) from error
    finally:
        image.close()
    return DecodedPhoto(
        format=photo_format,
        width=int(bgr.shape[1]),
        height=int(bgr.shape[0]),
        bgr=bgr,
        byte_size=size,
    )


def _open_header(data: bytes, photo_format: PhotoFormat) -> Image.Image:
    """Parse only the header. The plugin classes are used instead of `Image.open` so that our
    pixel limit, not Pillow's global bomb check (a warning below 179 MP), decides."""
    stream = io.BytesIO(data)
    if photo_format == "jpeg":
        return JpegImagePlugin.JpegImageFile(stream)
    return PngImagePlugin.PngImageFile(stream)


def _corrupt(photo_format: PhotoFormat, error: BaseException) -> PhotoRejected:
    return PhotoRejected(
        RejectReason.CORRUPT, {"format": photo_format, "error": type(error).__name__}
    )


def _upright(image: Image.Image, photo_format: PhotoFormat) -> Image.Image:
    """Load the pixels and turn phone photos upright. A broken EXIF block is ignored rather than
    refused: the pixels are fine, only the rotation hint is lost."""
    image.load()
    if photo_format != "jpeg":
        return image
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a bad orientation tag must not refuse good pixels
        return image


def _to_bgr(image: Image.Image) -> NDArray[np.uint8]:
    """Any PNG/JPEG mode (palette, alpha, 16-bit, grayscale, CMYK) to contiguous 8-bit BGR."""
    mode = image.mode
    if mode in {"I", "I;16", "I;16B", "I;16L", "I;16N"}:
        # 16-bit grayscale: keep the high byte instead of Pillow's clipping to 255.
        wide = np.clip(np.asarray(image, dtype=np.int64), 0, 65535)
        gray = (wide >> 8).astype(np.uint8)
        return np.ascontiguousarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    if mode == "L":
        return np.ascontiguousarray(cv2.cvtColor(np.asarray(image), cv2.COLOR_GRAY2BGR))
    if mode == "RGB":
        rgb = image
    elif "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _BACKGROUND_RGBA)
        rgb = Image.alpha_composite(background, rgba).convert("RGB")
    else:
        rgb = image.convert("RGB")
    return np.ascontiguousarray(cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR))
