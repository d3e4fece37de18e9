"""1:N face matching in plain numpy, and the storage form of an embedding.

SFace embeddings are unit vectors, so cosine similarity is one matrix-vector product: 100,000
stored faces are a 51 MB float32 matrix that a query reads once (DESIGN.md: no index needed
below ~100k faces).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

EMBEDDING_SIZE = 128
EMBEDDING_BYTES = EMBEDDING_SIZE * 4
_STORED_DTYPE = np.dtype("<f4")

# Same-person cutoff for SFace cosine similarity, from OpenCV: the tutorial "DNN-based Face
# Detection And Recognition" (tutorial_dnn_face: "cosine distance ... higher value means higher
# similarity, max 1.0 ... 0.363") and opencv_zoo models/face_recognition_sface/sface.py
# (_threshold_cosine = 0.363).
SFACE_COSINE_THRESHOLD = 0.363

FloatArray = NDArray[np.float32]
K = TypeVar("K", bound=Hashable)


def embedding_to_bytes(embedding: ArrayLike) -> bytes:
    """128 float32 little-endian values (512 bytes), the form stored in the database."""
    vector = _as_vector(embedding)
    return vector.astype(_STORED_DTYPE).tobytes()


def embedding_from_bytes(data: bytes) -> FloatArray:
    """The inverse of `embedding_to_bytes`; a writable native float32 vector."""
    if len(data) != EMBEDDING_BYTES:
        raise ValueError(f"an embedding is {EMBEDDING_BYTES} bytes, got {len(data)}")
    return np.frombuffer(data, dtype=_STORED_DTYPE).astype(np.float32)


def cosine_similarity(first: ArrayLike, second: ArrayLike) -> float:
    """Cosine similarity of two embeddings (0.0 when either is all zeros)."""
    a, b = _unit(_as_vector(first)), _unit(_as_vector(second))
    return float(np.clip(np.dot(a, b), -1.0, 1.0))


def is_same_person(
    first: ArrayLike, second: ArrayLike, *, threshold: float = SFACE_COSINE_THRESHOLD
) -> bool:
    return cosine_similarity(first, second) >= threshold


@dataclass(frozen=True)
class Match(Generic[K]):
    key: K
    score: float


class EmbeddingIndex(Generic[K]):
    """Stored embeddings keyed by anything hashable (person ids), searched by cosine similarity.

    Rows are normalised on build, so vectors stored by an older recognizer version or rounded
    on the way still compare as cosines; an all-zero row never matches.
    """

    def __init__(self, keys: Sequence[K], matrix: ArrayLike) -> None:
        rows = np.array(matrix, dtype=np.float32, copy=True)
        if rows.ndim != 2 or rows.shape[1] != EMBEDDING_SIZE:
            raise ValueError(f"expected an (n, {EMBEDDING_SIZE}) matrix, got {rows.shape}")
        if rows.shape[0] != len(keys):
            raise ValueError(f"{len(keys)} keys for {rows.shape[0]} embeddings")
        if not np.isfinite(rows).all():
            raise ValueError("embeddings must be finite")
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        np.divide(rows, norms, out=rows, where=norms > 0)
        self._keys = list(keys)
        self._matrix = rows

    @classmethod
    def from_stored(cls, rows: Iterable[tuple[K, bytes]]) -> EmbeddingIndex[K]:
        """Build from (key, `embedding_to_bytes` value) pairs, as read from the database."""
        keys: list[K] = []
        blobs: list[bytes] = []
        for key, blob in rows:
            if len(blob) != EMBEDDING_BYTES:
                raise ValueError(f"embedding of {key!r} is {len(blob)} bytes")
            keys.append(key)
            blobs.append(blob)
        matrix = np.frombuffer(b"".join(blobs), dtype=_STORED_DTYPE).reshape(-1, EMBEDDING_SIZE)
        return cls(keys, matrix)

    def __len__(self) -> int:
        return len(self._keys)

    def search(
        self,
        probe: ArrayLike,
        *,
        threshold: float = SFACE_COSINE_THRESHOLD,
        limit: int = 5,
    ) -> list[Match[K]]:
        """Up to `limit` stored faces at or above `threshold`, best first."""
        if limit < 1 or not self._keys:
            return []
        scores = self._matrix @ _unit(_as_vector(probe))
        candidates = np.flatnonzero(scores >= threshold)
        if candidates.size > limit:
            top = np.argpartition(scores[candidates], -limit)[-limit:]
            candidates = candidates[top]
        ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [Match(self._keys[i], float(scores[i])) for i in ordered]

    def best(
        self, probe: ArrayLike, *, threshold: float = SFACE_COSINE_THRESHOLD
    ) -> Match[K] | None:
        """The closest stored face if it reaches `threshold`."""
        found = self.search(probe, threshold=threshold, limit=1)
        return found[0] if found else None


def _as_vector(embedding: ArrayLike) -> FloatArray:
    vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
    if vector.size != EMBEDDING_SIZE:
        raise ValueError(f"an embedding has {EMBEDDING_SIZE} values, got {vector.size}")
    if not np.isfinite(vector).all():
        raise ValueError("an embedding must be finite")
    return vector


def _unit(vector: FloatArray) -> FloatArray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
