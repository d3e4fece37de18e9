"""Console pages for enterprises (super administrator), groups, users and roles."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from gatehouse.core.errors import ServiceError
from gatehouse.core.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    PermissionRequiredMixin,
    ServiceFormView,
)
from gatehouse.tenancy import filtersets, forms, services, tables
from gatehouse.tenancy.models import Enterprise, Group, Role, User

# --- enterprises (platform super administrator only) --------------------------------------


class EnterpriseMixin:
    model: Any = Enterprise
    permission_app: ClassVar[str | None] = "platform"

    def get_queryset(self) -> QuerySet[Enterprise]:
        return Enterprise.objects.all()


class EnterpriseListView(EnterpriseMixin, ObjectListView):
    table_class = tables.EnterpriseTable
    filterset_class = filtersets.EnterpriseFilterSet
    add_url_name = "tenancy:enterprise_add"
    title = gettext_lazy("Enterprise management")


class EnterpriseDetailView(EnterpriseMixin, ObjectDetailView):
    template_name = "tenancy/enterprise_detail.html"
    detail_fields = (
        "code",
        "name",
        "contact_name",
        "contact_phone",
        "contact_email",
        "address",
        "is_active",
        "created_at",
    )


class EnterpriseCreateView(EnterpriseMixin, ServiceFormView):
    permission_action = "add"
    form_class = forms.EnterpriseForm
    title = gettext_lazy("New enterprise")
    audit_action = "tenancy.enterprise.created"

    def perform(self, form: forms.EnterpriseForm) -> Enterprise:
        data = dict(form.cleaned_data)
        admin_username = data.pop("admin_username")
        enterprise, admin, password = services.create_enterprise(
            actor=self.actor, admin_username=admin_username, **data
        )
        messages.success(
            self.request,
            _(
                "Enterprise created. Administrator “%(user)s” has the one-time password "
                "%(password)s — it is shown only now and must be changed at first login."
            )
            % {"user": admin.username, "password": password},
        )
        return enterprise

    def get_success_url_for(self, result: Enterprise) -> str:
        return reverse("tenancy:enterprise_detail", args=[result.pk])


class EnterpriseEditView(EnterpriseMixin, ObjectEditView):
    form_class = forms.EnterpriseForm
    title = gettext_lazy("Edit enterprise")
    audit_action = "tenancy.enterprise.changed"

    def perform(self, form: forms.EnterpriseForm) -> Enterprise:
        return services.update_enterprise(self.object, actor=self.actor, **form.cleaned_data)

    def get_success_url_for(self, result: Enterprise) -> str:
        return reverse("tenancy:enterprise_detail", args=[result.pk])


class EnterpriseDeleteView(EnterpriseMixin, ObjectDeleteView):
    audit_action = "tenancy.enterprise.deleted"
    success_url = reverse_lazy("tenancy:enterprise_list")

    def perform(self, form: Any) -> None:
        services.delete_enterprise(self.object, actor=self.actor)


# --- groups -------------------------------------------------------------------------------


class GroupListView(ObjectListView):
    model = Group
    permission_app = "tenancy"
    table_class = tables.GroupTable
    filterset_class = filtersets.GroupFilterSet
    add_url_name = "tenancy:group_add"
    title = gettext_lazy("Group structure")

    def get_queryset(self) -> QuerySet[Group]:
        queryset: QuerySet[Group] = super().get_queryset()
        return (
            queryset.select_related("parent").annotate(user_count=Count("users")).order_by("path")
        )


class GroupDetailView(ObjectDetailView):
    model = Group
    permission_app = "tenancy"
    template_name = "tenancy/group_detail.html"
    detail_fields = ("name", "parent", "created_at")


class GroupCreateView(ServiceFormView):
    model = Group
    permission_app = "tenancy"
    permission_action = "add"
    form_class = forms.GroupForm
    title = gettext_lazy("New group")
    audit_action = "tenancy.group.created"
    success_message = gettext_lazy("The group has been created.")
    success_url = reverse_lazy("tenancy:group_list")

    def get_initial(self) -> dict[str, Any]:
        return {"parent": self.request.GET.get("parent")}

    def perform(self, form: forms.GroupForm) -> Group:
        return services.create_group(
            actor=self.actor, parent=form.cleaned_data["parent"], name=form.cleaned_data["name"]
        )


class GroupEditView(ObjectEditView):
    model = Group
    permission_app = "tenancy"
    form_class = forms.GroupForm
    title = gettext_lazy("Edit group")
    audit_action = "tenancy.group.changed"
    success_message = gettext_lazy("The group has been saved.")
    success_url = reverse_lazy("tenancy:group_list")

    def perform(self, form: forms.GroupForm) -> Group:
        group: Group = self.object
        if form.cleaned_data["name"] != group.name:
            group = services.rename_group(group, actor=self.actor, name=form.cleaned_data["name"])
        parent = form.cleaned_data.get("parent")
        if parent is not None and parent.pk != group.parent_id:
            group = services.move_group(group, actor=self.actor, parent=parent)
        return group


class GroupDeleteView(ObjectDeleteView):
    model = Group
    permission_app = "tenancy"
    audit_action = "tenancy.group.deleted"
    success_message = gettext_lazy("The group has been deleted.")
    success_url = reverse_lazy("tenancy:group_list")

    def perform(self, form: Any) -> None:
        services.delete_group(self.object, actor=self.actor)


# --- users --------------------------------------------------------------------------------


class UserListView(ObjectListView):
    model = User
    permission_app = "tenancy"
    table_class = tables.UserTable
    filterset_class = filtersets.UserFilterSet
    add_url_name = "tenancy:user_add"
    title = gettext_lazy("User management")

    def get_queryset(self) -> QuerySet[User]:
        return super().get_queryset().select_related("group").prefetch_related("roles")


class UserDetailView(ObjectDetailView):
    model = User
    permission_app = "tenancy"
    template_name = "tenancy/user_detail.html"
    detail_fields = (
        "username",
        "full_name",
        "email",
        "group",
        "is_group_admin",
        "roles",
        "is_active",
        "totp_enabled",
        "date_joined",
        "last_login",
    )


class UserCreateView(ServiceFormView):
    model = User
    permission_app = "tenancy"
    permission_action = "add"
    form_class = forms.UserForm
    title = gettext_lazy("New user")
    audit_action = "tenancy.user.created"

    def perform(self, form: forms.UserForm) -> User:
        data = form.cleaned_data
        user, generated = services.create_user(
            actor=self.actor,
            group=data["group"],
            username=data["username"],
            password=data.get("password") or None,
            is_group_admin=data["is_group_admin"],
            roles=list(data["roles"]),
            full_name=data["full_name"],
            email=data["email"],
        )
        if not data["is_active"]:
            services.update_user(user, actor=self.actor, is_active=False)
        if generated:
            messages.success(
                self.request,
                _(
                    "User created with the one-time password %(password)s — it is shown only now "
                    "and must be changed at first login."
                )
                % {"password": generated},
            )
        else:
            messages.success(self.request, _("The user has been created."))
        return user

    def get_success_url_for(self, result: User) -> str:
        return reverse("tenancy:user_detail", args=[result.pk])


class UserEditView(ObjectEditView):
    model = User
    permission_app = "tenancy"
    form_class = forms.UserForm
    title = gettext_lazy("Edit user")
    audit_action = "tenancy.user.changed"
    success_message = gettext_lazy("The user has been saved.")

    def perform(self, form: forms.UserForm) -> User:
        data = dict(form.cleaned_data)
        data["roles"] = list(data["roles"])
        return services.update_user(self.object, actor=self.actor, **data)

    def get_success_url_for(self, result: User) -> str:
        return reverse("tenancy:user_detail", args=[result.pk])


class UserDeleteView(ObjectDeleteView):
    model = User
    permission_app = "tenancy"
    audit_action = "tenancy.user.deleted"
    success_message = gettext_lazy("The user has been deleted.")
    success_url = reverse_lazy("tenancy:user_list")

    def perform(self, form: Any) -> None:
        services.delete_user(self.object, actor=self.actor)


class UserResetPasswordView(PermissionRequiredMixin, View):
    """POST only: a new random one-time password, shown once to the administrator."""

    model = User
    permission_app = "tenancy"
    permission_action = "change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
        try:
            password = services.reset_password(user, actor=self.actor)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "The password of %(user)s is now %(password)s — shown only now; the user must "
                    "change it at next login."
                )
                % {"user": user.username, "password": password},
            )
        return redirect("tenancy:user_detail", pk=user.pk)


class UserDisableTotpView(UserResetPasswordView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
        services.disable_totp(user, actor=self.actor)
        messages.success(request, _("Two-factor login is off for %(user)s.") % {"user": user})
        return redirect("tenancy:user_detail", pk=user.pk)


# --- roles --------------------------------------------------------------------------------


class RoleListView(ObjectListView):
    model = Role
    permission_app = "tenancy"
    table_class = tables.RoleTable
    filterset_class = filtersets.RoleFilterSet
    add_url_name = "tenancy:role_add"
    title = gettext_lazy("Role management")

    def get_queryset(self) -> QuerySet[Role]:
        queryset: QuerySet[Role] = super().get_queryset()
        return queryset.annotate(user_count=Count("users")).order_by("name")


class RoleDetailView(ObjectDetailView):
    model = Role
    permission_app = "tenancy"
    template_name = "tenancy/role_detail.html"
    detail_fields = ("name", "description", "created_at")


class RoleFormMixin:
    model: Any = Role
    permission_app: ClassVar[str | None] = "tenancy"
    form_class: Any = forms.RoleForm

    def get_success_url_for(self, result: Role) -> str:
        return reverse("tenancy:role_detail", args=[result.pk])


class RoleCreateView(RoleFormMixin, ServiceFormView):
    template_name = "tenancy/role_form.html"
    permission_action = "add"
    title = gettext_lazy("New role")
    audit_action = "tenancy.role.created"
    success_message = gettext_lazy("The role has been created.")

    def perform(self, form: forms.RoleForm) -> Role:
        user = self.request.user
        if user.enterprise_id is None:  # type: ignore[union-attr]
            raise ServiceError(_("Roles belong to an enterprise; log in as its administrator."))
        return services.create_role(
            actor=self.actor,
            enterprise_id=user.enterprise_id,  # type: ignore[union-attr]
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            permissions=form.permissions(),
        )


class RoleEditView(RoleFormMixin, ObjectEditView):
    template_name = "tenancy/role_form.html"
    title = gettext_lazy("Edit role")
    audit_action = "tenancy.role.changed"
    success_message = gettext_lazy("The role has been saved.")

    def perform(self, form: forms.RoleForm) -> Role:
        return services.update_role(
            self.object,
            actor=self.actor,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            permissions=form.permissions(),
        )


class RoleDeleteView(ObjectDeleteView):
    model = Role
    permission_app = "tenancy"
    audit_action = "tenancy.role.deleted"
    success_message = gettext_lazy("The role has been deleted.")
    success_url = reverse_lazy("tenancy:role_list")

    def perform(self, form: Any) -> None:
        services.delete_role(self.object, actor=self.actor)
