"""Outgoing mail: whether a mail server is configured, so that features which would send mail
can say so plainly instead of failing later (Zexus FAQ Q3: the app login mail)."""

from __future__ import annotations

from django.conf import settings


def mail_configured() -> bool:
    return bool(settings.EMAIL_HOST)


def public_url(fallback: str = "") -> str:
    """The server address people and the app use: GATEHOUSE_PUBLIC_URL, else `fallback`
    (the address of the request that triggered the mail)."""
    return str(settings.PUBLIC_URL or fallback).rstrip("/")
