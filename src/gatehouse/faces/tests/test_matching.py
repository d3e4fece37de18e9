"""Embedding storage and 1:N matching."""

from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest
from numpy.typing import NDArray
from tests import face_images as images

from gatehouse.faces import (
    EMBEDDING_BYTES,
    EMBEDDING_SIZE,
    SFACE_COSINE_THRESHOLD,
    EmbeddingIndex,
    check_photo,
    cosine_similarity,
    embedding_from_bytes,
    embedding_to_bytes,
    is_same_person,
)


def random_unit_vectors(count: int, seed: int = 7) -> NDArray[np.float32]:
    rows = np.random.default_rng(seed).standard_normal((count, EMBEDDING_SIZE))
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def axis(index: int) -> NDArray[np.float32]:
    vector = np.zeros(EMBEDDING_SIZE, dtype=np.float32)
    vector[index] = 1.0
    return vector


@pytest.mark.usefixtures("face_images")
def test_a_real_embedding_round_trips_through_512_little_endian_bytes() -> None:
    embedding = check_photo(images.portrait()).embedding

    stored = embedding_to_bytes(embedding)

    assert len(stored) == EMBEDDING_BYTES == 512
    assert stored == struct.pack("<128f", *embedding.tolist())
    restored = embedding_from_bytes(stored)
    assert restored.dtype == np.float32
    assert np.array_equal(restored, embedding)
    restored[0] = 5.0  # a private, writable copy
    assert embedding_from_bytes(stored)[0] == embedding[0]


@pytest.mark.parametrize("size", [0, 511, 513, 1024])
def test_stored_bytes_of_the_wrong_length_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="512 bytes"):
        embedding_from_bytes(b"\x00" * size)


def test_only_finite_128_value_vectors_can_be_stored() -> None:
    with pytest.raises(ValueError, match="128 values"):
        embedding_to_bytes(np.zeros(127, dtype=np.float32))
    broken = axis(0)
    broken[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        embedding_to_bytes(broken)


def test_cosine_similarity_of_known_vectors() -> None:
    diagonal = (axis(0) + axis(1)) * 3.0  # not unit length: still a cosine

    assert cosine_similarity(axis(0), axis(0)) == pytest.approx(1.0)
    assert cosine_similarity(axis(0), axis(1)) == pytest.approx(0.0)
    assert cosine_similarity(axis(0), -axis(0)) == pytest.approx(-1.0)
    assert cosine_similarity(axis(0), diagonal) == pytest.approx(2**-0.5)
    assert cosine_similarity(axis(0), np.zeros(EMBEDDING_SIZE)) == 0.0
    assert is_same_person(axis(0), diagonal)
    assert not is_same_person(axis(0), axis(1))


def test_the_index_finds_the_right_key_among_many_random_faces() -> None:
    gallery = random_unit_vectors(20_000)
    target = 12_345
    noise = random_unit_vectors(1, seed=99)[0]
    probe = gallery[target] * 0.8 + noise * 0.6  # cosine about 0.8 to the target
    keys = [f"person-{n}" for n in range(len(gallery))]
    index = EmbeddingIndex(keys, gallery)

    found = index.search(probe, limit=3)

    assert len(index) == 20_000
    assert found[0].key == f"person-{target}"
    assert found[0].score == pytest.approx(cosine_similarity(probe, gallery[target]), abs=1e-5)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert all(m.score >= SFACE_COSINE_THRESHOLD for m in found)
    assert index.best(probe) == found[0]


@pytest.mark.usefixtures("face_images")
def test_a_real_probe_finds_the_same_person_in_a_large_gallery() -> None:
    stored = {
        name: check_photo(images.portrait(name)).embedding for name in ("obama2.jpg", "biden.jpg")
    }
    others = random_unit_vectors(5_000)
    keys: list[object] = [*stored, *range(len(others))]
    index = EmbeddingIndex(keys, np.vstack([*stored.values(), others]))

    probe = check_photo(images.portrait("obama.jpg")).embedding

    best = index.best(probe)
    assert best is not None
    assert best.key == "obama2.jpg"
    assert "biden.jpg" not in [m.key for m in index.search(probe, limit=10)]


def test_threshold_and_limit_decide_what_is_returned() -> None:
    rows = np.vstack([axis(0), axis(1), axis(0) + axis(1), axis(0) * 0.5])
    index = EmbeddingIndex(["x", "y", "xy", "half-x"], rows)

    found = index.search(axis(0), limit=10)

    assert [m.key for m in found] == ["x", "half-x", "xy"]
    assert [m.score for m in found] == pytest.approx([1.0, 1.0, 2**-0.5])
    assert [m.key for m in index.search(axis(0), threshold=0.9)] == ["x", "half-x"]
    assert len(index.search(axis(0), limit=1)) == 1
    assert index.search(axis(2)) == []
    assert index.best(axis(2)) is None
    assert index.search(axis(0), limit=0) == []


def test_many_matches_are_cut_to_the_limit_best_first() -> None:
    rows = np.vstack([axis(0) + axis(1) * (n / 100) for n in range(50)])
    index = EmbeddingIndex(list(range(50)), rows)

    found = index.search(axis(0), limit=5)

    assert [m.key for m in found] == [0, 1, 2, 3, 4]


def test_an_all_zero_row_never_matches() -> None:
    index = EmbeddingIndex(["empty", "x"], np.vstack([np.zeros(EMBEDDING_SIZE), axis(0)]))

    assert [m.key for m in index.search(axis(0), threshold=-1.0)] == ["x", "empty"]
    assert [m.key for m in index.search(axis(0))] == ["x"]


def test_the_index_builds_from_stored_rows() -> None:
    vectors = random_unit_vectors(3)
    index = EmbeddingIndex.from_stored(
        (person_id, embedding_to_bytes(vector))
        for person_id, vector in zip([7, 8, 9], vectors, strict=True)
    )

    assert len(index) == 3
    best = [index.best(vector) for vector in vectors]
    assert [m.key if m else None for m in best] == [7, 8, 9]
    assert [m.score if m else None for m in best] == pytest.approx([1.0, 1.0, 1.0])
    assert len(EmbeddingIndex.from_stored([])) == 0
    with pytest.raises(ValueError, match="is 4 bytes"):
        EmbeddingIndex.from_stored([(1, b"\x00" * 4)])


def test_mismatched_or_malformed_matrices_are_refused() -> None:
    with pytest.raises(ValueError, match="2 keys for 3"):
        EmbeddingIndex([1, 2], random_unit_vectors(3))
    with pytest.raises(ValueError, match=r"\(n, 128\)"):
        EmbeddingIndex([1], np.zeros((1, 64)))
    with pytest.raises(ValueError, match="finite"):
        EmbeddingIndex([1], np.full((1, EMBEDDING_SIZE), np.inf))


def test_the_faces_package_imports_no_django() -> None:
    code = (
        "import sys, gatehouse.faces\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded))\n"
    )
    completed = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )

    assert completed.stdout.strip() == ""
