"""First-run secrets: generated once into a git-ignored file, never hard-coded.

Environment variables win over the file so that production can inject secrets from its own
secret store; the file only exists so that the embedded mode needs no configuration at all.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

SECRET_NAMES = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "AUDIT_CHAIN_KEY")


def _generate() -> dict[str, str]:
    return {name: secrets.token_urlsafe(48) for name in SECRET_NAMES}


def load_or_create(path: Path) -> dict[str, str]:
    """Read the secrets file, creating it (mode 0600) with fresh values when missing."""
    values: dict[str, str] = {}
    if path.exists():
        values = json.loads(path.read_text(encoding="utf-8"))
    missing = [name for name in SECRET_NAMES if not values.get(name)]
    if missing:
        fresh = _generate()
        for name in missing:
            values[name] = fresh[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(values, handle, indent=2)
        tmp.replace(path)
    for name in SECRET_NAMES:
        env_value = os.environ.get(f"GATEHOUSE_{name}")
        if env_value:
            values[name] = env_value
    return values
