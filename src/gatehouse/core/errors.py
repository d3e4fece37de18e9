"""Typed errors raised by services; views and the API turn them into clear messages."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused business operation. The message is shown to the user as it is."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class PermissionDenied(ServiceError):  # noqa: N818 - mirrors Django's name
    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(message, code="permission_denied")
