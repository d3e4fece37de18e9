"""The personnel pages as an administrator uses them, in Chromium: add an employee with a face
photo from the local disk, see it in the list and on its page, personalize the list's columns,
and import a spreadsheet through the job page with its progress and failure table."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import face_images
from tests.browser.screenshots import run_outside_browser_loop
from tests.browser.test_console_flow import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


def open_people_page(page: Any, url_slug: str) -> None:
    """Personnel management > item (test ids are the slugified URL names)."""
    page.get_by_test_id("nav-people").click()
    with page.expect_navigation():
        page.get_by_test_id(f"nav-{url_slug}").click()


def workbook(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Personnel ID", "First name", "Last name", "Date of birth"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_administrator_adds_an_employee_with_a_photo_and_imports_more(
    asgi_server: Any, cast: Any, page: Any, console_watch: Any, tmp_path: Path
) -> None:
    base = asgi_server.url
    log_in(page, base, "a-admin")
    open_people_page(page, "peopleemployee_list")
    expect(page.get_by_test_id("empty")).to_be_visible()

    # single addition with a portrait from the local disk
    page.get_by_test_id("add").click()
    page.locator("input[name=personnel_id]").fill("1001")
    page.locator("input[name=first_name]").fill("Ada")
    page.locator("input[name=last_name]").fill("Lovelace")
    photo = tmp_path / "ada.jpg"
    photo.write_bytes(face_images.portrait("obama.jpg"))
    page.locator("input[name=photo]").set_input_files(str(photo))
    page.get_by_test_id("submit").click()
    expect(page.get_by_text("Ada Lovelace (1001) has been added.")).to_be_visible()
    expect(page.get_by_test_id("person-photo")).to_be_visible()
    assert page.get_by_test_id("person-photo").evaluate("img => img.naturalWidth") > 0

    # a photo without a face is refused with its reason, and nothing is saved
    page.get_by_test_id("edit").click()
    bad = tmp_path / "no-face.jpg"
    bad.write_bytes(face_images.no_face())
    page.locator("input[name=last_name]").fill("Byron")
    page.locator("input[name=photo]").set_input_files(str(bad))
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("field-error")).to_have_text("No face was found in the photo.")
    open_people_page(page, "peopleemployee_list")
    table = page.get_by_test_id("object-table")
    expect(table).to_contain_text("Ada Lovelace")

    # personalized columns: hide the mobile phone column, it stays hidden on the next visit
    expect(table.locator("thead")).to_contain_text("Mobile phone")
    page.get_by_test_id("columns-menu").click()
    page.get_by_test_id("column-mobile_phone").uncheck()
    with page.expect_navigation():
        page.get_by_test_id("columns-save").click()
    expect(page.get_by_test_id("object-table").locator("thead")).not_to_contain_text("Mobile phone")
    page.reload()
    expect(page.get_by_test_id("object-table").locator("thead")).not_to_contain_text("Mobile phone")

    # information import in bulk: one good row, one duplicate, one bad date
    page.get_by_test_id("bulk-menu").click()
    page.get_by_test_id("bulk-information").click()
    upload = tmp_path / "people.xlsx"
    upload.write_bytes(
        workbook(
            [
                ["1002", "Grace", "Hopper", "1906-12-09"],
                ["1001", "Ada", "", ""],
                ["1003", "Alan", "Turing", "23/06/1912"],
            ]
        )
    )
    page.locator("input[name=file]").set_input_files(str(upload))
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("job-progress")).to_be_visible()

    from gatehouse.core.jobs.worker import run_pending

    assert run_outside_browser_loop(run_pending) == 1
    # the job page reloads itself when the job finishes (live event), showing the result
    failures = page.get_by_test_id("job-failures")
    expect(failures).to_contain_text("already exists; skipped")
    expect(failures).to_contain_text("Enter a date as YYYY-MM-DD.")
    expect(page.get_by_test_id("job-progress")).to_have_text("3 / 3")
    expect(page.get_by_test_id("job-download")).to_be_visible()
    open_people_page(page, "peopleemployee_list")
    expect(page.get_by_test_id("object-table")).to_contain_text("Grace Hopper")
    console_watch.assert_clean()
