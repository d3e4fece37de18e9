"""Map HTTP methods and actions onto registry permissions; viewsets name only their app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from gatehouse.core.permissions import has_permission

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class PasswordChangeRequired(exceptions.PermissionDenied):
    default_code = "password_change_required"


class RegistryPermission(permissions.BasePermission):
    """Authenticated, and holding `<app>.<action>`. A viewset may name the action of a custom
    route through `permission_actions = {"reset_password": "change"}`; `permission_app = None`
    means "any signed-in user" (e.g. the caller's own profile and tokens)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False  # DRF turns this into 401 "not authenticated"
        if getattr(user, "must_change_password", False):
            raise PasswordChangeRequired(
                _(
                    "You must change your one-time password before you can use the API. "
                    "Sign in to the console and choose a new password."
                )
            )
        app = getattr(view, "permission_app", None)
        if app is None:
            return True
        codename = f"{app}.{self.action_for(request, view)}"
        if not has_permission(user, codename):
            raise exceptions.PermissionDenied(
                _("You do not have the permission “%(codename)s”.") % {"codename": codename}
            )
        return True

    @staticmethod
    def action_for(request: Request, view: Any) -> str:
        action_name = getattr(view, "action", None)
        custom: dict[str, str] = getattr(view, "permission_actions", {})
        return custom.get(action_name or "") or METHOD_ACTIONS.get(request.method or "GET", "view")
