"""Who did it: every service call names its actor, so the audit log can say so."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from gatehouse.tenancy.models import User


class ActorKind(StrEnum):
    USER = "user"
    TOKEN = "token"  # noqa: S105 - an actor kind, not a secret
    DEVICE = "device"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    user: User | None = None
    address: str = ""
    token_id: int | None = None
    device_id: int | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def for_user(cls, user: User, address: str = "") -> Actor:
        return cls(kind=ActorKind.USER, label=user.username, user=user, address=address)

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = request.user
        address = client_address(request)
        token_id = getattr(request, "api_token_id", None)
        if token_id is not None:
            return cls(
                kind=ActorKind.TOKEN,
                label=f"{user.get_username()} (token {token_id})",
                user=user,  # type: ignore[arg-type]
                address=address,
                token_id=token_id,
            )
        return cls.for_user(user, address)  # type: ignore[arg-type]


def client_address(request: HttpRequest) -> str:
    """The peer address. Proxies are trusted only when TRUSTED_PROXY_HEADER says so."""
    from django.conf import settings

    header = settings.TRUSTED_PROXY_HEADER
    if header:
        forwarded = request.META.get(header, "")
        if forwarded:
            return str(forwarded).split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR", ""))
