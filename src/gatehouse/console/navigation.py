"""The console menu. Apps register their entries; an entry is shown only to users holding its
permission, so the menu never offers a page that would refuse the user (no dead links)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gatehouse.core.permissions import has_permission

if TYPE_CHECKING:
    from gatehouse.tenancy.models import User


@dataclass(frozen=True)
class NavItem:
    label: Promise
    url_name: str
    permission: str
    icon: str = "circle"


@dataclass
class NavSection:
    key: str
    label: Promise
    icon: str
    order: int
    items: list[NavItem] = field(default_factory=list)


_SECTIONS: dict[str, NavSection] = {}


def section(key: str, label: Promise, icon: str, order: int) -> NavSection:
    return _SECTIONS.setdefault(key, NavSection(key=key, label=label, icon=icon, order=order))


def add(section_key: str, item: NavItem) -> None:
    entries = _SECTIONS[section_key].items
    if all(existing.url_name != item.url_name for existing in entries):
        entries.append(item)


def menu_for(user: User) -> list[dict[str, object]]:
    """Sections with the entries this user may open; empty sections are left out."""
    menu = []
    for sec in sorted(_SECTIONS.values(), key=lambda s: s.order):
        items = [
            {
                "label": item.label,
                "url": reverse(item.url_name),
                "icon": item.icon,
                "url_name": item.url_name,
            }
            for item in sec.items
            if has_permission(user, item.permission)
        ]
        if items:
            menu.append({"key": sec.key, "label": sec.label, "icon": sec.icon, "items": items})
    return menu


CardProvider = Callable[["User"], list[dict[str, Any]]]
_CARD_PROVIDERS: list[CardProvider] = []


def add_dashboard_cards(provider: CardProvider) -> None:
    """Apps add count cards to the dashboard: `provider(user)` returns the cards that user may
    see (label, value, icon, url_name)."""
    if provider not in _CARD_PROVIDERS:
        _CARD_PROVIDERS.append(provider)


def dashboard_cards(user: User) -> list[dict[str, Any]]:
    return [card for provider in _CARD_PROVIDERS for card in provider(user)]


# The console's sections, in menu order. Apps add their entries in AppConfig.ready().
PEOPLE = "people"
SYSTEM = "system"
section(SYSTEM, _("System management"), "settings", 90)
