"""The console screenshots the README shows (docs/screenshots/), taken in headless Chromium.

`test_screenshots.py` calls `take_screenshots`: into a temporary folder on every run (so the
pages are checked for console errors), into docs/screenshots/ only with GATEHOUSE_SCREENSHOTS=1.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# (file name, path, theme) in the order they are taken; "login" is taken before logging in.
PAGES = [
    ("dashboard.png", "/", "light"),
    ("groups.png", "/tenancy/groups/", "light"),
    ("role-editor.png", None, "light"),  # the edit page of the "Gate officers" role
    ("users.png", "/tenancy/users/", "light"),
    ("employees.png", "/people/employees/", "light"),
    ("employee-detail.png", "person", "light"),  # the page of the first seeded employee
    ("employee-import.png", "/people/employees/import/", "light"),
    ("dashboard-dark.png", "/", "dark"),
]


def run_outside_browser_loop(function: Callable[[], T]) -> T:
    """Run `function` in a fresh thread: no asyncio loop there, so the services it calls can
    publish their events (async_to_sync) while the test's thread holds Playwright's loop."""
    from django.db import connections

    def call() -> T:
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def seed_demo_data(cast: Any) -> dict[str, int]:
    """A few more groups, roles and users than the test cast, so the pages look lived in."""
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import platform_scope
    from gatehouse.tenancy import services

    system = Actor.system("screenshots")
    with platform_scope():
        top = cast.a_admin.group
        north = services.create_group(actor=system, parent=top, name="North campus")
        gate = services.create_group(actor=system, parent=north, name="Main gate")
        services.create_group(actor=system, parent=north, name="Car park")
        officers = services.create_role(
            actor=system,
            enterprise_id=cast.enterprise_a.pk,
            name="Gate officers",
            description="Guards at the campus gates",
            permissions=["tenancy.view", "audit.view", "audit.export", "core.view"],
        )
        people = [
            ("j.moreno", "Julia Moreno", gate, [officers], False),
            ("t.nguyen", "Thanh Nguyen", gate, [officers], False),
            ("p.kowalski", "Piotr Kowalski", north, [officers, cast.a_role], False),
            ("s.dubois", "Sophie Dubois", north, [], True),
        ]
        for username, full_name, group, roles, is_admin in people:
            services.create_user(
                actor=system,
                group=group,
                username=username,
                full_name=full_name,
                password="Lantern-Orbit-7731",
                roles=roles,
                is_group_admin=is_admin,
            )
    person_id = seed_people(cast)
    return {"role": officers.pk, "person": person_id}


def seed_people(cast: Any) -> int:
    """Employees in two groups and departments, two with face photos (real test portraits,
    fetched by tests.face_images, never committed)."""
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.people import services
    from gatehouse.tenancy.models import Group
    from tests import face_images

    system = Actor.system("screenshots")
    with tenant_scope(cast.enterprise_a.pk):
        top = Group.objects.get(pk=cast.a_admin.group_id)
        security = services.create_department(
            actor=system, enterprise_id=cast.enterprise_a.pk, name="Security", code="SEC"
        )
        facilities = services.create_department(
            actor=system, enterprise_id=cast.enterprise_a.pk, name="Facilities", code="FAC"
        )
        rows = [
            ("1001", "Barack", "Obama", "male", security, top, "obama.jpg"),
            ("1002", "Joe", "Biden", "male", security, top, "biden.jpg"),
            ("1003", "Ada", "Lovelace", "female", facilities, cast.a_sub_group, None),
            ("1004", "Grace", "Hopper", "female", facilities, cast.a_sub_group, None),
            ("1005", "Alan", "Turing", "male", security, cast.a_sibling_group, None),
        ]
        first = 0
        for pid, first_name, last_name, gender, department, group, photo in rows:
            person = services.create_person(
                actor=system,
                personnel_id=pid,
                first_name=first_name,
                last_name=last_name,
                gender=gender,
                department=department,
                group=group,
                mobile_phone=f"+1 555 01{pid[-2:]}",
                card_number=f"{int(pid) * 7919:08d}",
            )
            if photo:
                services.set_photo(person, actor=system, data=face_images.portrait(photo))
            first = first or person.pk
    return first


def set_theme(page: Any, theme: str) -> None:
    """Click the theme toggle until the page shows `theme` (light -> dark -> auto ...)."""
    html = page.locator("html")
    for _ in range(3):
        if html.get_attribute("data-theme-choice") == theme:
            return
        page.get_by_test_id("theme-toggle").click()
    raise AssertionError(f"the theme toggle never reached {theme!r}")


def settle(page: Any) -> None:
    """Wait until fonts (the icon font) are loaded and the page stopped fetching."""
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    # No hover or focus ring left on the theme toggle that was just clicked.
    page.mouse.move(640, 790)
    page.evaluate("document.activeElement && document.activeElement.blur()")


def take_screenshots(
    page: Any, base_url: str, out_dir: Path, *, role_id: int, person_id: int
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    page.goto(f"{base_url}/login/")
    set_theme(page, "light")
    settle(page)
    taken.append(out_dir / "login.png")
    page.screenshot(path=str(taken[-1]))

    page.locator("input[name=username]").fill("a-admin")
    page.locator("input[name=password]").fill("Correct-Horse-42")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{base_url}/")
    for name, path, theme in PAGES:
        special = {
            None: f"/tenancy/roles/{role_id}/edit/",
            "person": f"/people/persons/{person_id}/",
        }
        page.goto(base_url + special.get(path, path or ""))
        set_theme(page, theme)
        settle(page)
        taken.append(out_dir / name)
        page.screenshot(path=str(taken[-1]))
    set_theme(page, "light")
    return taken
