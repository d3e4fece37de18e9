"""Face photos without Django: safe decoding, the portrait check, embeddings and 1:N matching.

The Django layer (people app) turns a `PhotoRejected` reason code and its details into a message.
"""

from gatehouse.faces.check import (
    MIN_FACE_RATIO,
    MIN_SHARPNESS,
    FaceBox,
    FaceCheck,
    FaceChecker,
    FaceModelsMissingError,
    check_face,
    check_photo,
    get_checker,
)
from gatehouse.faces.matching import (
    EMBEDDING_BYTES,
    EMBEDDING_SIZE,
    SFACE_COSINE_THRESHOLD,
    EmbeddingIndex,
    Match,
    cosine_similarity,
    embedding_from_bytes,
    embedding_to_bytes,
    is_same_person,
)
from gatehouse.faces.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_PIXELS,
    DecodedPhoto,
    PhotoRejected,
    RejectReason,
    decode_photo,
    sniff_format,
)

__all__ = [
    "EMBEDDING_BYTES",
    "EMBEDDING_SIZE",
    "MAX_PHOTO_BYTES",
    "MAX_PHOTO_PIXELS",
    "MIN_FACE_RATIO",
    "MIN_SHARPNESS",
    "SFACE_COSINE_THRESHOLD",
    "DecodedPhoto",
    "EmbeddingIndex",
    "FaceBox",
    "FaceCheck",
    "FaceChecker",
    "FaceModelsMissingError",
    "Match",
    "PhotoRejected",
    "RejectReason",
    "check_face",
    "check_photo",
    "cosine_similarity",
    "decode_photo",
    "embedding_from_bytes",
    "embedding_to_bytes",
    "get_checker",
    "is_same_person",
    "sniff_format",
]
