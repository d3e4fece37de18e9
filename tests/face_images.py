"""Real face photos for tests, fetched once per machine and never committed.

The photos are the test images of the `face_recognition` 1.3.0 source distribution on PyPI
(obama, biden, ...). `ensure_face_images()` downloads it with pip into a temporary folder, keeps
only `tests/test_images/*` (each checked against its SHA-256) in `var/test-cache/face-images/`
(git-ignored) and reuses that folder afterwards; a file lock keeps parallel pytest workers from
downloading twice. Everything else here builds derived photos in memory: a portrait that passes
the check and one variant for each way a photo can be refused. Plain functions, usable outside
pytest (the people app imports this module).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_ROOT = REPO_ROOT / "var" / "test-cache"
CACHE_DIR = CACHE_ROOT / "face-images"
SOURCE_PACKAGE = "face_recognition==1.3.0"
_MEMBER_PREFIX = "tests/test_images/"

IMAGE_SHA256 = {
    "32bit.png": "44dca895a7d635a4aedddd91a4f37af9a8a5b44e66154282a24645a757b5f627",
    "biden.jpg": "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
    "obama.jpg": "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
    "obama2.jpg": "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
    "obama3.jpg": "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
    "obama_partial_face.jpg": "c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117",
    "obama_partial_face2.jpg": "9a812347f97633542b8cd9992de22def11b74f79d82056bc3ee830f13878e028",
}

# Face boxes (x, y, width, height) in the original photos, measured once with YuNet; the photos
# are pinned by hash, so the boxes stay true. A portrait crop is built around them.
FACE_BOXES = {
    "32bit.png": (207, 229, 263, 404),
    "biden.jpg": (424, 177, 301, 387),
    "obama.jpg": (372, 83, 239, 327),
    "obama2.jpg": (207, 229, 263, 404),
    "obama3.jpg": (632, 259, 284, 353),
}
# A region of obama.jpg below the chin: suit, tie and folded arms, no face.
NO_FACE_BOX = (0, 560, 910, 1137)

JPEG_QUALITY = 90


# ----------------------------------------------------------------------------- the cache


def ensure_face_images() -> Path:
    """The folder holding the original test photos, downloading them the first time."""
    if _cache_complete():
        return CACHE_DIR
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with (CACHE_ROOT / "face-images.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _cache_complete():
                _download_into_cache()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return CACHE_DIR


def image_path(name: str) -> Path:
    if name not in IMAGE_SHA256:
        raise KeyError(f"no test image {name!r}; known: {', '.join(IMAGE_SHA256)}")
    return ensure_face_images() / name


def image_bytes(name: str) -> bytes:
    return image_path(name).read_bytes()


def _cache_complete() -> bool:
    return all((CACHE_DIR / name).is_file() for name in IMAGE_SHA256)


def _download_into_cache() -> None:
    with tempfile.TemporaryDirectory(dir=CACHE_ROOT, prefix="download-") as scratch:
        scratch_dir = Path(scratch)
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            SOURCE_PACKAGE,
            "--no-binary",
            ":all:",
            "--no-deps",
            "--disable-pip-version-check",
            "-d",
            str(scratch_dir),
        ]
        completed = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            command, capture_output=True, text=True, timeout=600, check=False
        )
        archives = sorted(scratch_dir.glob("face_recognition-*.tar.gz"))
        if completed.returncode != 0 or not archives:
            raise RuntimeError(
                f"could not download the test photos ({' '.join(command[2:])}):\n"
                f"{completed.stdout}\n{completed.stderr}"
            )
        staging = scratch_dir / "face-images"
        staging.mkdir()
        _extract_images(archives[0], staging)
        if CACHE_DIR.exists():  # an incomplete earlier attempt
            shutil.rmtree(CACHE_DIR)
        os.replace(staging, CACHE_DIR)


def _extract_images(archive: Path, target: Path) -> None:
    """Copy the wanted members by name (no paths from the archive reach the file system)."""
    found: set[str] = set()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            _, _, inner = member.name.partition("/")
            name = inner.removeprefix(_MEMBER_PREFIX)
            if not inner.startswith(_MEMBER_PREFIX) or name not in IMAGE_SHA256:
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            data = source.read()
            if hashlib.sha256(data).hexdigest() != IMAGE_SHA256[name]:
                raise RuntimeError(f"{name} in {archive.name} does not match its SHA-256")
            (target / name).write_bytes(data)
            found.add(name)
    missing = set(IMAGE_SHA256) - found
    if missing:
        raise RuntimeError(f"{archive.name} lacks {', '.join(sorted(missing))}")


# ----------------------------------------------------------------------- derived photos


def open_image(name: str) -> Image.Image:
    """The original photo, loaded (RGB, or RGBA for 32bit.png)."""
    with Image.open(image_path(name)) as image:
        image.load()
        return image.copy()


def encode(image: Image.Image, image_format: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()


def portrait_image(name: str = "obama.jpg", width: int | None = None) -> Image.Image:
    """Head and shoulders, 3:4, the face about half the width: what the check should accept."""
    x, y, face_width, face_height = FACE_BOXES[name]
    image = open_image(name)
    crop_width = 2 * face_width
    crop_height = crop_width * 4 // 3
    left = max(0, x + face_width // 2 - crop_width // 2)
    top = max(0, y - face_height * 45 // 100)
    box = (left, top, min(image.width, left + crop_width), min(image.height, top + crop_height))
    cropped = image.crop(box)
    if width is not None:
        cropped = cropped.resize((width, round(cropped.height * width / cropped.width)))
    return cropped


def portrait(name: str = "obama.jpg", width: int | None = None) -> bytes:
    """A portrait JPEG that passes the check (well under 500 KB)."""
    return encode(portrait_image(name, width))


def transparent_png_portrait() -> bytes:
    """The RGBA photo (32bit.png) cropped to a portrait, kept RGBA: alpha must be flattened."""
    return encode(portrait_image("32bit.png", width=360), "PNG")


def sixteen_bit_png_portrait() -> bytes:
    """A 16-bit grayscale PNG portrait (values spread over 0..65535)."""
    gray = np.asarray(portrait_image(width=360).convert("L"), dtype=np.uint16)
    return encode(Image.fromarray(gray * 257), "PNG")


def palette_png_portrait() -> bytes:
    return encode(portrait_image(width=360).quantize(colors=256), "PNG")


def exif_rotated_portrait(orientation: int = 6) -> bytes:
    """Pixels stored sideways with the EXIF tag that says how to turn them upright (6 or 8)."""
    rotation = {6: 90, 8: 270}[orientation]
    upright = portrait_image()
    stored = upright.rotate(rotation, expand=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=JPEG_QUALITY, exif=exif.tobytes())
    return buffer.getvalue()


def two_faces() -> bytes:
    """Two portraits side by side (obama and biden), each face about a quarter of the width."""
    left = portrait_image("obama.jpg")
    right = portrait_image("biden.jpg")
    right = right.resize((round(right.width * left.height / right.height), left.height))
    canvas = Image.new("RGB", (left.width + right.width, left.height), (255, 255, 255))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return encode(canvas)


def tiny_face(canvas_width: int = 1200) -> bytes:
    """A portrait shrunk to a fifth of a plain canvas: one face, about a tenth of the width."""
    small = portrait_image(width=canvas_width // 5)
    canvas = Image.new("RGB", (canvas_width, canvas_width * 3 // 4), (200, 205, 210))
    canvas.paste(small, ((canvas.width - small.width) // 2, (canvas.height - small.height) // 2))
    return encode(canvas)


def low_resolution_portrait(width: int = 100) -> bytes:
    """Face a third of the width or more, but too few pixels across (below 64 px)."""
    return portrait(width=width)


def blurred_face(name: str = "obama.jpg", relative_sigma: float = 0.03) -> bytes:
    """The portrait under a Gaussian blur of `relative_sigma` x its width (3 %: eyes, nose and
    mouth are smears; SFace no longer recognises the person)."""
    image = portrait_image(name)
    return encode(image.filter(ImageFilter.GaussianBlur(relative_sigma * image.width)))


def dark_face(factor: float = 0.1) -> bytes:
    """The portrait at a tenth of its brightness: a face still found, but nearly black."""
    return encode(portrait_image().point(lambda value: round(value * factor)))


def bright_face(factor: float = 0.15) -> bytes:
    """The portrait washed out towards white (only 15 % of the distance to white is left)."""
    return encode(portrait_image().point(lambda value: 255 - round((255 - value) * factor)))


def no_face() -> bytes:
    """A real photo region without a face: suit, tie and folded arms."""
    return encode(open_image("obama.jpg").crop(NO_FACE_BOX))


def oversized_photo(min_bytes: int = 2 * 1024 * 1024) -> bytes:
    """A genuine JPEG photo of at least `min_bytes` (enlarged obama3.jpg at high quality)."""
    image = open_image("obama3.jpg")
    for scale in (1, 2, 3, 4):
        enlarged = image.resize((image.width * scale, image.height * scale))
        buffer = io.BytesIO()
        enlarged.save(buffer, "JPEG", quality=98)
        if buffer.tell() >= min_bytes:
            return buffer.getvalue()
    raise RuntimeError(f"could not build a photo of {min_bytes} bytes")


def lying_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A small, well-formed PNG whose IHDR claims `width` x `height` (with a valid CRC), as a
    decompression bomb or a forged upload would."""
    real = encode(ImageOps.fit(portrait_image(), (64, 64)), "PNG")
    ihdr_start = 8  # after the PNG signature: length (4), b"IHDR" (4), data (13), CRC (4)
    length, kind = struct.unpack(">I4s", real[ihdr_start : ihdr_start + 8])
    if kind != b"IHDR" or length != 13:
        raise RuntimeError("unexpected PNG layout")
    data = bytearray(real[ihdr_start + 8 : ihdr_start + 21])
    data[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(data)) & 0xFFFFFFFF)
    return real[: ihdr_start + 8] + bytes(data) + crc + real[ihdr_start + 25 :]


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    """The first `keep` share of a file, as an interrupted upload leaves it."""
    return data[: max(1, int(len(data) * keep))]
