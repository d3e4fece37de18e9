"""The README's console screenshots: taken on every run (into a temporary folder, so every page
shown is checked for console errors and CSP violations), written to docs/screenshots/ only with
GATEHOUSE_SCREENSHOTS=1 so that CI never rewrites the docs."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.browser.screenshots import (
    DOCS_SCREENSHOTS,
    run_outside_browser_loop,
    seed_demo_data,
    take_screenshots,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

EXPECTED = {
    "login.png",
    "dashboard.png",
    "groups.png",
    "role-editor.png",
    "users.png",
    "employees.png",
    "employee-detail.png",
    "employee-import.png",
    "dashboard-dark.png",
}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_console_screenshots(
    asgi_server: Any, cast: Any, page: Any, console_watch: Any, tmp_path: Path
) -> None:
    out_dir = DOCS_SCREENSHOTS if os.environ.get("GATEHOUSE_SCREENSHOTS") == "1" else tmp_path
    ids = run_outside_browser_loop(lambda: seed_demo_data(cast))
    taken = take_screenshots(
        page, asgi_server.url, out_dir, role_id=ids["role"], person_id=ids["person"]
    )
    assert {p.name for p in taken} == EXPECTED
    for path in taken:
        assert png_size(path) == (1280, 800), path.name
    console_watch.assert_clean()
