"""Personalized columns: a user's choice of columns sticks to that user and that list."""

from __future__ import annotations

from typing import Any

from tests.support import login_client

USER_LIST = "/tenancy/users/"
USER_TABLE = "gatehouse.tenancy.tables.UserTable"


def header_texts(content: bytes) -> str:
    return content.decode().split("<thead>")[1].split("</thead>")[0]


def test_a_user_hides_a_column_and_only_that_user_sees_it_hidden(cast: Any) -> None:
    admin = login_client("a-admin")
    assert "Full name" in header_texts(admin.get(USER_LIST).content)
    response = admin.post(
        "/lists/columns/",
        {"table": USER_TABLE, "columns": ["username", "group"], "next": USER_LIST},
    )
    assert response.status_code == 302
    assert response["Location"] == USER_LIST
    headers = header_texts(admin.get(USER_LIST).content)
    assert "Full name" not in headers
    assert "Username" in headers
    # another user still sees every column
    assert "Full name" in header_texts(login_client("b-admin").get(USER_LIST).content)
    # back to the defaults
    admin.post("/lists/columns/", {"table": USER_TABLE, "reset": "1", "next": USER_LIST})
    assert "Full name" in header_texts(admin.get(USER_LIST).content)


def test_a_foreign_redirect_target_and_a_bad_key_are_refused(cast: Any) -> None:
    admin = login_client("a-admin")
    response = admin.post(
        "/lists/columns/",
        {"table": "bad key!", "columns": ["username"], "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = admin.get("/", follow=True).content.decode()
    assert "That list cannot be personalized." in page


def test_the_columns_menu_lists_the_table_columns(cast: Any) -> None:
    page = login_client("a-admin").get(USER_LIST).content.decode()
    assert 'data-testid="columns-menu"' in page
    assert 'name="table" value="gatehouse.tenancy.tables.UserTable"' in page
    assert 'value="full_name" checked' in page
