"""Console login: throttling per account and address, TOTP second step, forced password change,
disabled accounts and enterprises, session expiry."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client, override_settings
from tests.support import PASSWORD, login_client

from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.scoping import platform_scope
from gatehouse.tenancy import services
from gatehouse.tenancy.models import User


def post_login(client: Client, username: str, password: str) -> str:
    response = client.post("/login/", {"username": username, "password": password})
    return response.content.decode() if response.status_code != 302 else "redirect"


def test_wrong_password_is_refused_with_a_clear_message(cast) -> None:  # type: ignore[no-untyped-def]
    page = post_login(Client(HTTP_HOST="localhost"), "a-admin", "nope")
    assert "The username or password is not correct" in page


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_repeated_failures_lock_account_and_address(cast) -> None:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.7")
    for _ in range(2):
        assert "not correct" in post_login(client, "a-admin", "wrong")
    assert "Too many failed logins" in post_login(client, "a-admin", "wrong")
    # Even the right password is refused while locked ...
    assert "Too many failed logins" in post_login(client, "a-admin", PASSWORD)
    # ... from that address only: another address can still log in.
    other = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.8")
    assert post_login(other, "a-admin", PASSWORD) == "redirect"
    with platform_scope():
        failures = LogEntry.objects.filter(action="tenancy.user.login_failed").count()
    assert failures == 3


def test_disabled_user_and_disabled_enterprise_cannot_log_in(cast) -> None:  # type: ignore[no-untyped-def]
    system = Actor.system("test")
    with platform_scope():
        services.update_user(cast.a_member, actor=system, is_active=False)
    assert "not correct" in post_login(Client(HTTP_HOST="localhost"), "a-member", PASSWORD)
    with platform_scope():
        services.update_enterprise(cast.enterprise_b, actor=system, is_active=False)
    assert "not correct" in post_login(Client(HTTP_HOST="localhost"), "b-admin", PASSWORD)


def test_totp_second_step(cast) -> None:  # type: ignore[no-untyped-def]
    secret = pyotp.random_base32()
    with platform_scope():
        services.enable_totp(
            cast.a_admin, actor=Actor.system("test"), secret=secret, code=pyotp.TOTP(secret).now()
        )
    client = Client(HTTP_HOST="localhost")
    response = client.post("/login/", {"username": "a-admin", "password": PASSWORD})
    assert response["Location"] == "/login/verify/"
    # Not logged in yet: the dashboard still asks for a login.
    assert client.get("/").status_code == 302
    bad = client.post("/login/verify/", {"code": "000000"})
    assert "That code is not valid." in bad.content.decode()
    good = client.post("/login/verify/", {"code": pyotp.TOTP(secret).now()})
    assert good.status_code == 302
    assert client.get("/").status_code == 200


def test_enabling_totp_needs_a_valid_code(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope(), pytest.raises(ServiceError, match="not valid"):
        services.enable_totp(
            cast.a_admin, actor=Actor.system("test"), secret=pyotp.random_base32(), code="123456x"
        )


def test_one_time_password_forces_a_change(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        one_time = services.reset_password(cast.a_member, actor=Actor.for_user(cast.a_admin))
        assert "123456" not in one_time
        assert len(one_time) >= 12
    client = login_client("a-member", one_time)
    assert client.get("/tenancy/groups/")["Location"] == "/account/password/"
    assert client.get("/api/v1/me/").status_code == 403
    weak = client.post(
        "/account/password/",
        {"current_password": one_time, "password": "123456", "password_confirm": "123456"},
    )
    assert weak.status_code == 400
    assert "too short" in weak.content.decode() or "too common" in weak.content.decode()
    new = "Another-Good-Pass-9"
    done = client.post(
        "/account/password/",
        {"current_password": one_time, "password": new, "password_confirm": new},
    )
    assert done.status_code == 302
    assert client.get("/tenancy/groups/").status_code == 200
    with platform_scope():
        assert not User.global_objects.get(pk=cast.a_member.pk).must_change_password


def test_session_expires_after_idle_time(cast, settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.SESSION_COOKIE_AGE > 0
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client = login_client("a-admin")
    session = client.session
    session.set_expiry(-1)  # as if the idle time had passed
    session.save()
    assert client.get("/").status_code == 302


def test_logout_needs_post_and_ends_session(cast) -> None:  # type: ignore[no-untyped-def]
    client = login_client("a-admin")
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_no_default_password_anywhere(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        for user in User.global_objects.all():
            assert not user.check_password("123456")
            assert not user.check_password("admin")
