"""Authentication backend: usernames are case-insensitive and global; disabled users and
users of disabled enterprises cannot log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from gatehouse.core.scoping import platform_scope
from gatehouse.tenancy.models import User


class GatehouseBackend(BaseBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        with platform_scope():
            user = (
                User.global_objects.select_related("enterprise", "group")
                .filter(username__iexact=username.strip())
                .first()
            )
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        return user

    def user_can_authenticate(self, user: User) -> bool:
        if not user.is_active:
            return False
        return user.enterprise is None or user.enterprise.is_active

    def get_user(self, user_id: int) -> User | None:
        with platform_scope():
            user = (
                User.global_objects.select_related("enterprise", "group").filter(pk=user_id).first()
            )
        if user is None or not self.user_can_authenticate(user):
            return None
        return user
