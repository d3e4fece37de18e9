"""The console as an administrator uses it, in Chromium: log in, switch language and theme,
create a group, a role and a user, then log in as that user and see only its own subtree.

Every page must load without a console error or a Content Security Policy violation (the
`page` fixture fails the test otherwise)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD

pytestmark = [
    pytest.mark.browser,
    # Django warns on every static file WhiteNoise streams under ASGI (a sync iterator); the
    # project turns warnings into errors, which would break those responses in the server.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

SPANISH_CATALOG = (
    Path(__file__).resolve().parents[2] / "src/gatehouse/locale/es/LC_MESSAGES/django.mo"
)
NEW_PASSWORD = "Lantern-Orbit-7731"


def log_in(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label(re.compile("Username|Usuario|Nombre de usuario", re.I)).fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_test_id("login-submit").click()


def choose_language(page: Any, code: str) -> None:
    page.get_by_test_id("language-menu").click()
    with page.expect_navigation():
        page.get_by_test_id(f"language-{code}").click()


def open_menu_item(page: Any, url_name: str) -> None:
    """Open a page through the top menu, as a user would (System management > item)."""
    page.get_by_test_id("nav-system").click()
    with page.expect_navigation():
        page.get_by_test_id(f"nav-{url_name}").click()


def table_names(page: Any) -> list[str]:
    """The first column of the object table (names, without the tree indentation)."""
    cells = page.get_by_test_id("object-table").locator("tbody tr td:first-child")
    return [text.strip() for text in cells.all_inner_texts()]


def test_administrator_builds_a_group_role_and_user_that_sees_only_its_subtree(
    asgi_server: Any, cast: Any, page: Any, console_watch: Any
) -> None:
    base = asgi_server.url
    html = page.locator("html")

    # Log in through the login page.
    log_in(page, base, "a-admin")
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_contain_text("a-admin")
    expect(html).to_have_attribute("lang", "en")

    # Language: Español from the language menu, kept while navigating, then back to English.
    choose_language(page, "es")
    expect(html).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("language-menu")).to_contain_text("español")
    page.goto(f"{base}/tenancy/groups/")
    expect(html).to_have_attribute("lang", "es")
    page.goto(f"{base}/")
    expect(html).to_have_attribute("lang", "es")
    choose_language(page, "en")
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Theme: the toggle cycles light -> dark -> auto (the system, light here).
    expect(html).to_have_attribute("data-bs-theme", "light")
    toggle = page.get_by_test_id("theme-toggle")
    for _ in range(3):
        if html.get_attribute("data-theme-choice") == "dark":
            break
        toggle.click()
    expect(html).to_have_attribute("data-theme-choice", "dark")
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    toggle.click()
    expect(html).to_have_attribute("data-bs-theme", "light")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "light")

    # A group under the top group, from the Group structure page.
    open_menu_item(page, "tenancygroup_list")
    expect(page.get_by_role("heading", name="Group structure")).to_be_visible()
    page.get_by_test_id("add").click()
    page.get_by_label("Group name").fill("Night shift")
    page.get_by_label("Parent group").select_option(label="Acme")
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(f"{base}/tenancy/groups/")
    expect(page.get_by_test_id("message")).to_contain_text("The group has been created.")
    assert "Night shift" in table_names(page)

    # A role with "view" on users, groups and roles, through the role editor's checkbox grid.
    open_menu_item(page, "tenancyrole_list")
    page.get_by_test_id("add").click()
    page.get_by_label("Role name").fill("Shift viewers")
    page.get_by_label("Description").fill("Sees the night shift")
    grid = page.get_by_test_id("permission-grid")
    grid.locator("input[value='tenancy.view']").check()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("message")).to_contain_text("The role has been created.")
    expect(page.get_by_role("heading", name="Shift viewers")).to_be_visible()
    expect(page.locator(".badge", has_text="tenancy.view")).to_be_visible()

    # A user in the new group with that role and a chosen password.
    open_menu_item(page, "tenancyuser_list")
    page.get_by_test_id("add").click()
    page.get_by_label("Username").fill("night-guard")
    page.get_by_label("Full name").fill("Nina Guard")
    page.get_by_label("Group", exact=True).select_option(label="— Night shift")
    page.get_by_label("Shift viewers").check()
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("message")).to_contain_text("The user has been created.")
    detail = page.get_by_test_id("detail")
    expect(detail).to_contain_text("Night shift")
    expect(detail).to_contain_text("Shift viewers")

    # Log out, then log in as the new user.
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("alert")).to_contain_text("You have been logged out.")
    log_in(page, base, "night-guard", NEW_PASSWORD)
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_contain_text("night-guard")

    # Its Group structure holds its own group only: not the top group, "Branch" or "Sibling".
    open_menu_item(page, "tenancygroup_list")
    expect(page.get_by_test_id("page-summary")).to_contain_text("of 1 entries")
    assert table_names(page) == ["Night shift"]
    expect(page.get_by_test_id("object-table")).not_to_contain_text("Sibling")
    # A viewer gets no "Add" button.
    expect(page.get_by_test_id("add")).to_have_count(0)

    console_watch.assert_clean()


def test_wrong_password_shows_the_error_on_the_login_page(
    asgi_server: Any, cast: Any, page: Any, console_watch: Any
) -> None:
    # The login page answers a failed login with HTTP 400, which Chromium logs as an error.
    console_watch.allow("the server responded with a status of 400")
    log_in(page, asgi_server.url, "a-admin", "not-the-password")
    expect(page).to_have_url(f"{asgi_server.url}/login/")
    expect(page.get_by_test_id("form-error")).to_have_text(
        "The username or password is not correct, or the account is disabled."
    )
    # The username stays filled in; the password does not.
    expect(page.locator("input[name=username]")).to_have_value("a-admin")
    expect(page.locator("input[name=password]")).to_have_value("")
    console_watch.assert_clean()


@pytest.mark.skipif(
    not SPANISH_CATALOG.exists(),
    reason=f"the Spanish catalog {SPANISH_CATALOG.name} is not compiled yet (locale/es)",
)
def test_spanish_shows_translated_words(
    asgi_server: Any, cast: Any, page: Any, console_watch: Any
) -> None:
    from django.utils import translation

    with translation.override("es"):
        dashboard = translation.gettext("Dashboard")
        log_out = translation.gettext("Log out")
    assert dashboard != "Dashboard", "the Spanish catalog does not translate 'Dashboard'"

    log_in(page, asgi_server.url, "a-admin")
    choose_language(page, "es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name=dashboard)).to_be_visible()
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("logout")).to_have_text(log_out)
    choose_language(page, "en")
    console_watch.assert_clean()
