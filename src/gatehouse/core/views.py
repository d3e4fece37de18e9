"""Generic console views. They open nothing themselves: the middleware has opened the tenant
scope; these restrict to the user's subtree and check the registry permission, so app views
carry no permission code (DESIGN.md, rule 3)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from gatehouse.audit.services import record_failure
from gatehouse.core import tables
from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.permissions import has_permission

PAGE_SIZES = (10, 15, 20, 25, 50, 100)
DEFAULT_PAGE_SIZE = 20


def cancel_url(request: HttpRequest) -> str:
    """Where "Cancel" goes: back to the page the user came from, if it is ours."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return str(referer)
    return reverse("console:dashboard")


class PermissionRequiredMixin(LoginRequiredMixin):
    """Checks `<app>.<action>` from the registry. `permission_app` defaults to the model's app."""

    permission_action: ClassVar[str] = "view"
    permission_app: ClassVar[str | None] = None
    model: Any = None
    request: HttpRequest

    def get_permission_codename(self) -> str:
        app = self.permission_app or self.model._meta.app_label
        return f"{app}.{self.permission_action}"

    def permits(self, request: HttpRequest) -> bool:
        return has_permission(request.user, self.get_permission_codename())

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.permits(request):
            raise DjangoPermissionDenied
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[assignment]
        return response

    @property
    def actor(self) -> Actor:
        return Actor.from_request(self.request)


class VisibleQuerysetMixin(PermissionRequiredMixin):
    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[no-any-return]


class ConsolePageView(PermissionRequiredMixin, TemplateView):
    """A console page with no model behind it."""


class ObjectListView(VisibleQuerysetMixin, SingleTableMixin, FilterView):
    """List with search, filters, sorting and the manual's page sizes (10/15/20/25/50/100)."""

    template_name = "core/object_list.html"
    filterset_class: Any = None
    table_class: Any = None
    add_url_name: ClassVar[str | None] = None
    title: ClassVar[Any] = ""

    def get_paginate_by(self, table_data: Any) -> int:
        try:
            size = int(self.request.GET.get("per_page", DEFAULT_PAGE_SIZE))
        except ValueError:
            return DEFAULT_PAGE_SIZE
        return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE

    def get_table(self, **kwargs: Any) -> Any:
        """As django-tables2 does, except that `per_page` is ours: only the manual's sizes are
        accepted (tables2 would take any number from the query string)."""
        table = self.get_table_class()(data=self.get_table_data(), **self.get_table_kwargs())
        table.per_page_field = "_per_page_handled_by_view"
        tables.apply_choice(table, self.request.user)
        return RequestConfig(self.request, paginate=self.get_table_pagination(table)).configure(
            table
        )

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["core/partials/table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        app = self.permission_app or self.model._meta.app_label
        table = context["table"]
        context.update(
            title=self.title or self.model._meta.verbose_name_plural,
            page_sizes=PAGE_SIZES,
            table_key=tables.table_key(table),
            column_choices=[
                (name, header, name in table.columns.names())
                for name, header in tables.choosable(table)
            ],
            can_add=bool(self.add_url_name) and has_permission(self.request.user, f"{app}.add"),
            add_url=reverse(self.add_url_name) if self.add_url_name else "",
        )
        return context


class ObjectDetailView(VisibleQuerysetMixin, DetailView):  # type: ignore[type-arg]
    template_name = "core/object_detail.html"
    detail_fields: ClassVar[tuple[str, ...]] = ()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.object
        rows = []
        for name in self.detail_fields:
            field = obj._meta.get_field(name)
            display = getattr(obj, f"get_{name}_display", None)
            value = display() if callable(display) else getattr(obj, name)
            if field.many_to_many:
                value = ", ".join(str(v) for v in value.all())
            rows.append((getattr(field, "verbose_name", name), value))
        app = self.permission_app or self.model._meta.app_label
        context.update(
            rows=rows,
            can_change=has_permission(self.request.user, f"{app}.change"),
            can_delete=has_permission(self.request.user, f"{app}.delete"),
        )
        return context


class ServiceFormView(PermissionRequiredMixin, FormView):  # type: ignore[type-arg]
    """A form whose valid submission calls a service. A ServiceError becomes a form error (or a
    page message), is written to the system log as a failure, and nothing is saved."""

    template_name = "core/object_form.html"
    title: ClassVar[Any] = ""
    audit_action: ClassVar[str] = ""
    success_message: ClassVar[Any] = ""
    object: Any = None

    def get_object(self) -> Any:
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if self.object is not None:
            kwargs["instance"] = self.object
        return kwargs

    def perform(self, form: Any) -> Any:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                result = self.perform(form)
        except ServiceError as exc:
            self.log_failure(exc)
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, str(self.success_message))
        return HttpResponseRedirect(self.get_success_url_for(result))

    def log_failure(self, exc: ServiceError) -> None:
        if not self.audit_action:
            return
        user = self.request.user
        record_failure(
            self.audit_action,
            actor=self.actor,
            enterprise_id=getattr(user, "enterprise_id", None),
            message=exc.message,
            obj=self.object if isinstance(self.object, models.Model) else None,
            group_path=getattr(user, "group_path", ""),
        )

    def get_success_url_for(self, result: Any) -> str:
        return str(self.success_url)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["object"] = self.object
        context["cancel_url"] = cancel_url(self.request)
        return context


class ObjectEditView(VisibleQuerysetMixin, ServiceFormView):
    """Edit an object found through the user's visible queryset (wrong tenant = 404)."""

    permission_action = "change"

    def get_object(self) -> Any:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])


class ObjectDeleteView(ObjectEditView):
    permission_action = "delete"
    template_name = "core/object_delete.html"
    form_class = Form

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("user", None)
        kwargs.pop("instance", None)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = _("Delete %(object)s") % {"object": self.object}
        return context
