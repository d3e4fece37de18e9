from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from gatehouse.tenancy.models import Enterprise, Group, Role, User

ATTRS = {"class": "table card-table table-vcenter"}


class EnterpriseTable(tables.Table):
    name = tables.LinkColumn("tenancy:enterprise_detail", args=[tables.A("pk")])

    class Meta:
        model = Enterprise
        fields = ("name", "code", "contact_name", "contact_phone", "is_active", "created_at")
        attrs = ATTRS


class GroupTable(tables.Table):
    name = tables.Column(verbose_name=_("Group name"), order_by=("path",))
    parent = tables.Column(verbose_name=_("Parent group"))
    user_count = tables.Column(verbose_name=_("Users"), orderable=True)

    class Meta:
        model = Group
        fields = ("name", "parent", "user_count", "created_at")
        attrs = ATTRS

    def render_name(self, record: Group) -> str:
        indent = format_html_join(
            "", '<span class="group-tree-indent"></span>', ((),) * record.depth
        )
        url = reverse("tenancy:group_detail", args=[record.pk])
        return format_html('{}<a href="{}">{}</a>', indent, url, record.name)


class UserTable(tables.Table):
    username = tables.LinkColumn("tenancy:user_detail", args=[tables.A("pk")])
    roles = tables.ManyToManyColumn(verbose_name=_("Roles"))

    class Meta:
        model = User
        fields = (
            "username",
            "full_name",
            "group",
            "is_group_admin",
            "roles",
            "is_active",
            "totp_enabled",
            "last_login",
        )
        attrs = ATTRS


class RoleTable(tables.Table):
    name = tables.LinkColumn("tenancy:role_detail", args=[tables.A("pk")])
    permission_count = tables.Column(
        verbose_name=_("Permissions"), accessor="permissions", orderable=False
    )
    user_count = tables.Column(verbose_name=_("Users"))

    class Meta:
        model = Role
        fields = ("name", "description", "permission_count", "user_count", "created_at")
        attrs = ATTRS

    def render_permission_count(self, value: list[str]) -> int:
        return len(value)
