"""The real test photos (tests/face_images.py): fetched once per machine, before the first test
that asks for them, so that a failed download shows as a setup error naming its cause."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.face_images import ensure_face_images


@pytest.fixture(scope="session")
def face_images() -> Path:
    """The folder of original photos; the builders in tests.face_images read from it."""
    return ensure_face_images()
