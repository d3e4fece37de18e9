from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gatehouse.core.forms import ConsoleForm, style_fields
from gatehouse.core.permissions import areas
from gatehouse.tenancy import selectors
from gatehouse.tenancy.models import Enterprise, Group, Role, User


class EnterpriseForm(ConsoleForm):
    code = forms.SlugField(
        label=_("Enterprise code"),
        max_length=40,
        help_text=_("Letters, digits, hyphens; used by the mobile app to find the enterprise."),
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    contact_name = forms.CharField(label=_("Contact person"), max_length=120, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    is_active = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    admin_username = forms.CharField(
        label=_("Administrator username"),
        max_length=150,
        help_text=_(
            "The enterprise administrator account; a one-time password is shown after saving."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, Enterprise):
            del self.fields["admin_username"]
            for name in self.fields:
                self.initial.setdefault(name, getattr(self.instance, name))


class GroupForm(ConsoleForm):
    name = forms.CharField(label=_("Group name"), max_length=100)
    parent = forms.TypedChoiceField(label=_("Parent group"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.group_choices(self.user)
        if isinstance(self.instance, Group):
            self.initial.setdefault("name", self.instance.name)
            self.initial.setdefault("parent", self.instance.parent_id)
            # A group cannot move below itself; the top group has no parent to choose.
            visible = {g.pk: g.path for g in selectors.visible_groups(self.user)}
            choices = [
                (pk, label)
                for pk, label in choices
                if not visible[pk].startswith(self.instance.path)
            ]
            if self.instance.parent_id is None or self.instance.parent_id not in visible:
                del self.fields["parent"]
                return
        self.fields["parent"].choices = choices  # type: ignore[attr-defined]

    def clean_parent(self) -> Group:
        group: Group = selectors.visible_groups(self.user).get(pk=self.cleaned_data["parent"])
        return group


class RoleForm(ConsoleForm):
    name = forms.CharField(label=_("Role name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        granted = set(self.instance.permissions) if isinstance(self.instance, Role) else set()
        if isinstance(self.instance, Role):
            self.initial.setdefault("name", self.instance.name)
            self.initial.setdefault("description", self.instance.description)
        self.permission_areas = []
        for area in areas():
            field_name = f"perm_{area.app}"
            self.fields[field_name] = forms.MultipleChoiceField(
                label=str(area.title),
                required=False,
                choices=[(f"{area.app}.{a}", label) for a, label in area.actions.items()],
                widget=forms.CheckboxSelectMultiple,
                initial=sorted(c for c in area.codenames() if c in granted),
            )
            self.permission_areas.append(field_name)
        style_fields(self)

    def permissions(self) -> list[str]:
        codes: list[str] = []
        for name in self.permission_areas:
            codes.extend(self.cleaned_data.get(name) or [])
        return codes


class UserForm(ConsoleForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    group = forms.TypedChoiceField(label=_("Group"), coerce=int)
    is_group_admin = forms.BooleanField(
        label=_("Group administrator"),
        required=False,
        help_text=_("Has every permission in this group and below; needs no role."),
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave empty to generate a one-time password that must be changed at first login."
        ),
    )
    password_confirm = forms.CharField(
        label=_("Confirm password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = selectors.group_choices(self.user)  # type: ignore[attr-defined]
        self.fields["roles"].queryset = selectors.visible_roles(self.user)  # type: ignore[attr-defined]
        if isinstance(self.instance, User):
            del self.fields["password"]
            del self.fields["password_confirm"]
            for name in ("username", "full_name", "email", "is_group_admin", "is_active"):
                self.initial.setdefault(name, getattr(self.instance, name))
            self.initial.setdefault("group", self.instance.group_id)
            self.initial.setdefault("roles", list(self.instance.roles.values_list("pk", flat=True)))
        style_fields(self)

    def clean_group(self) -> Group:
        group: Group = selectors.visible_groups(self.user).get(pk=self.cleaned_data["group"])
        return group

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_confirm") and "password" in self.fields:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return data
