"""The enterprise login QR code of the mobile app (Zexus 2.2, FAQ Q3): it carries the server
address and the enterprise code, signed with the installation's secret so that the app (and
the server, when the app presents it) can refuse a code someone has altered."""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from django.core import signing
from django.utils.translation import gettext as _

from gatehouse.core.errors import ServiceError
from gatehouse.tenancy.models import Enterprise

QR_SALT = "gatehouse.tenancy.app-login-qr"


@dataclass(frozen=True)
class EnterpriseLogin:
    server_url: str
    enterprise_code: str


def enterprise_qr_payload(enterprise: Enterprise, server_url: str) -> str:
    return signing.dumps({"server": server_url, "enterprise": enterprise.code}, salt=QR_SALT)


def read_enterprise_qr(payload: str) -> EnterpriseLogin:
    try:
        data = signing.loads(payload.strip(), salt=QR_SALT)
    except signing.BadSignature:
        raise ServiceError(
            _("This QR code was not issued by this server or has been altered."), code="bad_qr"
        ) from None
    return EnterpriseLogin(server_url=str(data["server"]), enterprise_code=str(data["enterprise"]))


def enterprise_qr_png(enterprise: Enterprise, server_url: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(enterprise_qr_payload(enterprise, server_url), error="m").save(
        buffer, kind="png", scale=scale, border=2
    )
    return buffer.getvalue()
