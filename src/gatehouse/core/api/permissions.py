"""Map HTTP methods and actions onto registry permissions; viewsets name only their app."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
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


class RegistryPermission(permissions.BasePermission):
    """Authenticated, and holding `<app>.<action>`. A viewset may name the action of a custom
    route through `permission_actions = {"reset_password": "change"}`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if getattr(user, "must_change_password", False):
            return False
        app = getattr(view, "permission_app", None)
        if app is None:
            return True  # e.g. the user's own profile: no registry permission involved
        action_name = getattr(view, "action", None)
        custom = getattr(view, "permission_actions", {})
        action = custom.get(action_name) or METHOD_ACTIONS.get(request.method or "GET", "view")
        return has_permission(user, f"{app}.{action}")
