"""Names and labels of the people app's events (audit actions, WebSocket events, webhooks)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVENT_LABELS: dict[str, Promise] = {
    "people.employee.created": _("Employee added"),
    "people.employee.changed": _("Employee changed"),
    "people.employee.deleted": _("Employee deleted"),
    "people.employee.photo_changed": _("Employee photo changed"),
    "people.employee.app_login_enabled": _("Employee app login turned on"),
    "people.employee.app_login_disabled": _("Employee app login turned off"),
    "people.employee.exported": _("Employees exported"),
    "people.visitor.created": _("Visitor added"),
    "people.visitor.changed": _("Visitor changed"),
    "people.visitor.deleted": _("Visitor deleted"),
    "people.visitor.photo_changed": _("Visitor photo changed"),
    "people.visitor.app_login_enabled": _("Visitor app login turned on"),
    "people.visitor.app_login_disabled": _("Visitor app login turned off"),
    "people.visitor.exported": _("Visitors exported"),
    "people.blacklist.created": _("Blacklist entry added"),
    "people.blacklist.changed": _("Blacklist entry changed"),
    "people.blacklist.deleted": _("Blacklist entry deleted"),
    "people.blacklist.photo_changed": _("Blacklist photo changed"),
    "people.blacklist.app_login_enabled": _("Blacklist app login turned on"),
    "people.blacklist.app_login_disabled": _("Blacklist app login turned off"),
    "people.blacklist.exported": _("Blacklist exported"),
    "people.department.created": _("Department created"),
    "people.department.changed": _("Department changed"),
    "people.department.moved": _("Department moved"),
    "people.department.deleted": _("Department deleted"),
    "people.grouping.created": _("Grouping created"),
    "people.grouping.changed": _("Grouping changed"),
    "people.grouping.deleted": _("Grouping deleted"),
}
