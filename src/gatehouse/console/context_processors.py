from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

import gatehouse
from gatehouse.console.navigation import menu_for


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    menu = menu_for(user) if user is not None and user.is_authenticated else []
    return {
        "console_menu": menu,
        "gatehouse_version": gatehouse.__version__,
        "available_languages": settings.LANGUAGES,
        "theme": request.COOKIES.get("gatehouse_theme", "auto"),
    }
