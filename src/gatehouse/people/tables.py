from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from gatehouse.people.models import Department, Person, PersonGroup

ATTRS = {"class": "table card-table table-vcenter"}


class PersonTable(tables.Table):
    photo = tables.Column(verbose_name=_("Photo"), orderable=False, empty_values=())
    personnel_id = tables.LinkColumn("people:person_detail", args=[tables.A("pk")])
    name = tables.Column(
        verbose_name=_("Name"), accessor="first_name", order_by=("first_name", "last_name")
    )
    group = tables.Column(verbose_name=_("User group"), accessor="group__name")
    person_group = tables.Column(verbose_name=_("Grouping"))
    department = tables.Column(verbose_name=_("Department"))

    class Meta:
        model = Person
        fields = (
            "photo",
            "personnel_id",
            "name",
            "gender",
            "group",
            "person_group",
            "department",
            "mobile_phone",
            "email",
            "card_number",
            "id_card_number",
            "nationality",
            "valid_until",
            "is_enabled",
            "app_login_enabled",
            "created_at",
        )
        attrs = ATTRS
        # shown until the user chooses otherwise (the "Columns" menu)
        default_columns = (
            "photo",
            "personnel_id",
            "name",
            "gender",
            "group",
            "department",
            "mobile_phone",
            "card_number",
            "is_enabled",
        )

    def render_photo(self, record: Person) -> SafeString:
        if record.photo_id is None:
            return mark_safe('<span class="avatar avatar-sm"><i class="ti ti-user"></i></span>')
        url = reverse("people:person_photo", args=[record.pk]) + "?size=thumb"
        return format_html(
            '<span class="avatar avatar-sm" data-photo-url="{}"><img src="{}" alt="" '
            'loading="lazy" class="avatar avatar-sm"></span>',
            url,
            url,
        )

    def render_name(self, record: Person) -> str:
        return record.full_name


def row_actions(edit_url: str, delete_url: str) -> tables.TemplateColumn:
    return tables.TemplateColumn(
        template_name="people/partials/row_actions.html",
        verbose_name="",
        orderable=False,
        extra_context={"edit_url": edit_url, "delete_url": delete_url},
    )


class DepartmentTable(tables.Table):
    name = tables.Column(verbose_name=_("Department name"), order_by=("path",))
    person_count = tables.Column(verbose_name=_("Persons"))
    actions = row_actions("people:department_edit", "people:department_delete")

    class Meta:
        model = Department
        fields = ("name", "code", "parent", "person_count", "created_at")
        attrs = ATTRS

    def render_name(self, record: Department) -> SafeString:
        indent = format_html_join(
            "", '<span class="group-tree-indent"></span>', ((),) * record.depth
        )
        return format_html("{}{}", indent, record.name)


class PersonGroupTable(tables.Table):
    name = tables.Column(verbose_name=_("Grouping name"), empty_values=())
    group = tables.Column(verbose_name=_("User group"))
    person_count = tables.Column(verbose_name=_("Persons"))
    actions = row_actions("people:persongroup_edit", "people:persongroup_delete")

    class Meta:
        model = PersonGroup
        fields = ("name", "category", "group", "person_count")
        attrs = ATTRS

    def render_name(self, record: PersonGroup) -> str:
        return str(record)
