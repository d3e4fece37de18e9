"""Production hashes passwords with Argon2 (tests swap in a fast hasher in conftest)."""

from __future__ import annotations

import importlib


def test_production_hasher_is_argon2() -> None:
    production = importlib.import_module("gatehouse.settings")
    assert production.PASSWORD_HASHERS == ["django.contrib.auth.hashers.Argon2PasswordHasher"]
