"""App login (Zexus FAQ Q3): a random password that must be changed, mailed through a real SMTP
server on loopback (aiosmtpd) with the personnel ID and the enterprise QR code; without a mail
server the console says so and shows the password once."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.hashers import check_password
from tests.support import login_client

from gatehouse.core.actors import Actor
from gatehouse.core.jobs.worker import run_pending
from gatehouse.people import services
from gatehouse.people.models import Person
from gatehouse.people.tests.support import free_port
from gatehouse.tenancy.app_login import read_enterprise_qr

# the mail job runs in the real worker loop, which needs committed rows
pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture(autouse=True)
def _real_smtp(settings: Any) -> None:
    """pytest-django swaps in the in-memory mail backend; these tests talk real SMTP."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield handler
    finally:
        controller.stop()


def _wait_for(inbox: Inbox, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def _parts(message: Message) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in message.walk():
        found.setdefault(part.get_content_type(), part.get_payload(decode=True))
    return found


def test_enabling_app_login_mails_the_id_a_password_and_the_signed_qr_code(
    inbox: Inbox, make_person: Any, admin_actor: Actor
) -> None:
    person = make_person("1001", first_name="Ada", email="ada@example.com")
    outcome = services.enable_app_login(
        person, actor=admin_actor, server_url="https://gate.example.com/"
    )
    assert outcome.mailed
    assert outcome.password == ""
    assert run_pending() == 1
    _wait_for(inbox, 1)
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "ada@example.com"
    parts = _parts(message)
    text = parts["text/plain"].decode()
    assert "1001" in text
    assert "acme" in text
    password = re.search(r"One-time password: (\S+)", text)
    assert password is not None
    person.refresh_from_db()
    assert person.app_login_enabled
    assert person.app_must_change_password
    assert check_password(password.group(1), person.app_password)
    assert password.group(1) != "123456"
    assert password.group(1) not in person.app_password  # stored hashed only
    qr = parts["image/png"]
    assert qr.startswith(b"\x89PNG")
    html = parts["text/html"].decode()
    assert "cid:enterprise-qr" in html


def test_the_qr_payload_is_signed() -> None:
    from gatehouse.core.errors import ServiceError
    from gatehouse.tenancy.app_login import enterprise_qr_payload
    from gatehouse.tenancy.models import Enterprise

    payload = enterprise_qr_payload(Enterprise(code="acme"), "https://gate.example.com")
    login = read_enterprise_qr(payload)
    assert (login.server_url, login.enterprise_code) == ("https://gate.example.com", "acme")
    tampered = payload.replace("acme", "bolt") if "acme" in payload else payload[:-2] + "xx"
    with pytest.raises(ServiceError):
        read_enterprise_qr(tampered)


def test_without_a_mail_server_the_console_says_so_and_shows_the_password(
    settings: Any, make_person: Any, acme: Any
) -> None:
    settings.EMAIL_HOST = ""
    person = make_person("1001", first_name="Ada", email="ada@example.com")
    client = login_client("a-admin")
    detail = client.get(f"/people/persons/{person.pk}/").content.decode()
    assert "No mail server is configured" in detail
    page = client.post(f"/people/persons/{person.pk}/app-login/enable/", follow=True)
    text = page.content.decode()
    assert "No mail server is configured, so no e-mail was sent." in text
    password = re.search(r"one-time password: (\w+)", text)
    assert password is not None
    person = Person.objects.get(pk=person.pk)
    assert check_password(password.group(1), person.app_password)
    assert person.app_must_change_password
    client.post(f"/people/persons/{person.pk}/app-login/disable/")
    person.refresh_from_db()
    assert not person.app_login_enabled
    assert person.app_password == ""


def test_a_person_without_an_address_gets_the_password_from_the_administrator(
    inbox: Inbox, make_person: Any, admin_actor: Actor
) -> None:
    person = make_person("1001")
    outcome = services.enable_app_login(person, actor=admin_actor, server_url="http://x/")
    assert not outcome.mailed
    assert "has no e-mail address" in outcome.reason
    assert len(outcome.password) >= 12
    assert run_pending() == 0
    assert inbox.messages == []


def test_a_failed_delivery_fails_the_job_and_sets_no_password(
    settings: Any, make_person: Any, admin_actor: Actor
) -> None:
    from gatehouse.core.models import Job

    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    person = make_person("1001", email="ada@example.com")
    services.enable_app_login(person, actor=admin_actor, server_url="http://x/")
    run_pending()
    job = Job.objects.get(kind="people.app_login_mail")
    assert job.status == Job.Status.FAILED
    assert job.error
    person.refresh_from_db()
    assert person.app_password == ""  # the new password was rolled back with the mail
