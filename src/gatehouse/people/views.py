"""Console pages of Smart Pass chapter 4: employee list, visitor management, blacklist
management (list, details, add, edit, delete, refresh, bulk import, export), departments and
person groupings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from gatehouse.core.errors import ServiceError
from gatehouse.core.mail import mail_configured
from gatehouse.core.permissions import has_permission
from gatehouse.core.spreadsheets import download
from gatehouse.core.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    PermissionRequiredMixin,
    ServiceFormView,
)
from gatehouse.people import (
    capture,
    filtersets,
    forms,
    jobs,
    photos,
    selectors,
    services,
    tables,
    workbooks,
)
from gatehouse.people.models import Category, Department, Person, PersonGroup

# URL slug, category, list title, "add" title
CATEGORY_PAGES: dict[str, tuple[str, Any, Any]] = {
    "employees": (Category.EMPLOYEE, gettext_lazy("Employee list"), gettext_lazy("New employee")),
    "visitors": (
        Category.VISITOR,
        gettext_lazy("Visitor management"),
        gettext_lazy("New visitor"),
    ),
    "blacklist": (
        Category.BLACKLIST,
        gettext_lazy("Blacklist management"),
        gettext_lazy("New blacklist entry"),
    ),
}
LIST_URL_NAMES = {
    Category.EMPLOYEE: "people:employee_list",
    Category.VISITOR: "people:visitor_list",
    Category.BLACKLIST: "people:blacklist_list",
}
SLUGS = {category: slug for slug, (category, _title, _add) in CATEGORY_PAGES.items()}
EXPORT_FORMATS = ("xlsx", "xls")


class CategoryMixin:
    """Pages that are per category take it from the URL (`people/<slug>/...`)."""

    kwargs: dict[str, Any]

    @property
    def slug(self) -> str:
        slug = str(self.kwargs["category"])
        if slug not in CATEGORY_PAGES:
            raise Http404
        return slug

    @property
    def category(self) -> str:
        return str(CATEGORY_PAGES[self.slug][0])


class PersonListView(CategoryMixin, ObjectListView):
    model = Person
    table_class = tables.PersonTable
    filterset_class = filtersets.PersonFilterSet
    template_name = "people/person_list.html"

    def get_queryset(self) -> QuerySet[Person]:
        queryset: QuerySet[Person] = super().get_queryset()
        return queryset.filter(category=self.category).select_related(
            "group", "person_group", "department"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            title=CATEGORY_PAGES[self.slug][1],
            slug=self.slug,
            category=self.category,
            can_add=has_permission(user, "people.add"),
            add_url=reverse("people:person_add", args=[self.slug]),
            can_import=has_permission(user, "people.import"),
            export_formats=EXPORT_FORMATS,
        )
        return context


class PersonDetailView(ObjectDetailView):
    model = Person
    template_name = "people/person_detail.html"
    detail_fields = (
        *(name for name in services.PERSON_FIELDS if name != "device_pin"),  # a secret
        "group",
        "app_login_enabled",
        "created_at",
        "updated_at",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        person: Person = self.object
        context.update(
            capture_devices=capture.devices_for(self.request.user, person),  # type: ignore[arg-type]
            list_url=reverse(LIST_URL_NAMES[Category(person.category)]),
            list_title=CATEGORY_PAGES[SLUGS[Category(person.category)]][1],
            has_pin=bool(person.device_pin),
            mail_configured=mail_configured(),
            can_verify=person.can_verify(),
        )
        return context


class PersonFormMixin:
    model: Any = Person
    form_class: Any = forms.PersonForm
    request: HttpRequest

    def get_success_url_for(self, result: Person) -> str:
        return reverse("people:person_detail", args=[result.pk])

    def save_photo(self, person: Person, form: forms.PersonForm) -> None:
        upload = form.cleaned_data.get("photo")
        if not upload:
            return
        outcome = services.set_photo(person, actor=self.actor, data=upload.read())  # type: ignore[attr-defined]
        for warning in outcome.warnings:
            messages.warning(self.request, warning)


class PersonCreateView(CategoryMixin, PersonFormMixin, ServiceFormView):
    permission_action = "add"
    template_name = "people/person_form.html"

    @property
    def title(self) -> Any:
        return CATEGORY_PAGES[self.slug][2]

    @property
    def audit_action(self) -> str:  # type: ignore[override]
        return f"people.{self.category}.created"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["category"] = self.category
        return kwargs

    def perform(self, form: forms.PersonForm) -> Person:
        person = services.create_person(actor=self.actor, **form.service_values())
        self.save_photo(person, form)
        messages.success(self.request, _("%(person)s has been added.") % {"person": person})
        return person


class PersonEditView(PersonFormMixin, ObjectEditView):
    template_name = "people/person_form.html"
    title = gettext_lazy("Edit person")

    @property
    def audit_action(self) -> str:  # type: ignore[override]
        return f"people.{self.object.category}.changed" if self.object else ""

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["category"] = self.object.category
        return kwargs

    def perform(self, form: forms.PersonForm) -> Person:
        person = services.update_person(self.object, actor=self.actor, **form.service_values())
        self.save_photo(person, form)
        messages.success(self.request, _("%(person)s has been saved.") % {"person": person})
        return person


class PersonDeleteView(ObjectDeleteView):
    model = Person

    @property
    def audit_action(self) -> str:  # type: ignore[override]
        return f"people.{self.object.category}.deleted" if self.object else ""

    def perform(self, form: Any) -> None:
        self.category = self.object.category
        services.delete_person(self.object, actor=self.actor)
        messages.success(self.request, _("%(person)s has been deleted.") % {"person": self.object})

    def get_success_url_for(self, result: Any) -> str:
        return reverse(LIST_URL_NAMES[Category(self.category)])


class PersonActionView(PermissionRequiredMixin, View):
    """A POST button on the person page that calls one service."""

    model = Person
    permission_action = "change"

    def person(self, pk: int) -> Person:
        person: Person = get_object_or_404(
            Person.objects.visible_to(self.request.user).select_related("group"), pk=pk
        )
        return person

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.person(pk)
        try:
            self.act(person)
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("people:person_detail", pk=person.pk)

    def act(self, person: Person) -> None:
        raise NotImplementedError


class PersonCaptureView(PersonActionView):
    """Register from device: ask the chosen online device to photograph the person."""

    def act(self, person: Person) -> None:
        try:
            device_id = int(self.request.POST.get("device", ""))
        except ValueError:
            raise ServiceError(_("Choose a device.")) from None
        messages.success(self.request, capture.request_capture(person, device_id, actor=self.actor))


class PersonPhotoRemoveView(PersonActionView):
    def act(self, person: Person) -> None:
        services.remove_photo(person, actor=self.actor)
        messages.success(self.request, _("The photo has been removed."))


class AppLoginEnableView(PersonActionView):
    def act(self, person: Person) -> None:
        outcome = services.enable_app_login(
            person, actor=self.actor, server_url=self.request.build_absolute_uri("/")
        )
        if outcome.mailed:
            messages.success(
                self.request,
                _(
                    "App login is on. %(person)s will receive an e-mail at %(address)s with the "
                    "personnel ID, a one-time password and the enterprise QR code."
                )
                % {"person": person, "address": person.email},
            )
        else:
            messages.warning(
                self.request,
                _(
                    "App login is on. %(reason)s Give %(person)s the personnel ID %(id)s and "
                    "this one-time password: %(password)s — it is shown only now and must be "
                    "changed at first login."
                )
                % {
                    "reason": outcome.reason,
                    "person": person.full_name,
                    "id": person.personnel_id,
                    "password": outcome.password,
                },
            )


class AppLoginDisableView(PersonActionView):
    def act(self, person: Person) -> None:
        services.disable_app_login(person, actor=self.actor)
        messages.success(self.request, _("App login is off."))


class PersonPhotoView(PermissionRequiredMixin, View):
    """The person's face photo (or with ?size=thumb its list thumbnail), to users who may see
    the person."""

    model = Person

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        person = get_object_or_404(
            Person.objects.visible_to(request.user).select_related("photo"), pk=pk
        )
        if person.photo is None or not person.photo.file:
            raise Http404
        name = person.photo.file.name
        content_type = "image/png" if person.photo.image_format == "png" else "image/jpeg"
        if request.GET.get("size") == "thumb":
            name, content_type = photos.thumbnail_path(name), "image/jpeg"
        if not default_storage.exists(name):
            raise Http404
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- import and export -----------------------------------------------------------------------


class ImportTemplateView(PermissionRequiredMixin, View):
    """Smart Pass 4.1.2 step 1: "Personnel_import_template.xls" (and xlsx)."""

    model = Person
    permission_action = "import"

    def get(self, request: HttpRequest) -> HttpResponse:
        file_format = request.GET.get("format", "xlsx")
        if file_format not in EXPORT_FORMATS:
            raise Http404
        return download(
            workbooks.template(file_format),
            f"{workbooks.TEMPLATE_FILE_NAME}.{file_format}",
            file_format,
        )


class ImportView(CategoryMixin, ServiceFormView):
    """Upload a file and start its import job; the job page shows the progress."""

    model = Person
    permission_action = "import"
    page_title: Any = ""

    @property
    def title(self) -> Any:
        return self.page_title % {"page": CATEGORY_PAGES[self.slug][1]}

    def get_success_url_for(self, result: Any) -> str:
        return reverse("core:job_detail", args=[result.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(slug=self.slug, submit_label=_("Start import"))
        return context


class PersonImportView(ImportView):
    form_class = forms.PersonImportForm
    template_name = "people/person_import.html"
    page_title = gettext_lazy("Information import in bulk: %(page)s")

    def perform(self, form: forms.PersonImportForm) -> Any:
        return jobs.start_person_import(
            form.cleaned_data["file"].read(),
            actor=self.actor,
            group=form.cleaned_data["group"],
            category=self.category,
            overwrite=form.cleaned_data["mode"] == "overwrite",
        )


class PortraitImportView(ImportView):
    form_class = forms.PortraitImportForm
    template_name = "people/portrait_import.html"
    page_title = gettext_lazy("Portrait import in bulk: %(page)s")

    def perform(self, form: forms.PortraitImportForm) -> Any:
        return jobs.start_portrait_import(
            form.cleaned_data["file"].read(), actor=self.actor, category=self.category
        )


class PersonExportView(CategoryMixin, PermissionRequiredMixin, View):
    """Smart Pass 4.1.4: the list as it is filtered, to "Employee Information.xls"."""

    model = Person
    permission_action = "import"

    def get(self, request: HttpRequest, category: str) -> HttpResponse:
        file_format = request.GET.get("format", "xlsx")
        if file_format not in EXPORT_FORMATS:
            raise Http404
        queryset = selectors.visible_persons(request.user, self.category)  # type: ignore[arg-type]
        filterset = filtersets.PersonFilterSet(request.GET, queryset=queryset, request=request)
        rows = filterset.qs if filterset.is_valid() else queryset
        try:
            name, content = services.export_persons(
                rows.order_by("personnel_id"),
                actor=self.actor,
                category=self.category,
                file_format=file_format,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect(LIST_URL_NAMES[Category(self.category)])
        return download(content, name, file_format)


# --- departments -----------------------------------------------------------------------------


class DepartmentListView(ObjectListView):
    model = Department
    table_class = tables.DepartmentTable
    filterset_class = filtersets.DepartmentFilterSet
    add_url_name = "people:department_add"
    title = gettext_lazy("Departments")

    def get_queryset(self) -> QuerySet[Department]:
        queryset: QuerySet[Department] = super().get_queryset()
        return (
            queryset.select_related("parent")
            .annotate(person_count=Count("persons"))
            .order_by("path")
        )


class DepartmentCreateView(ServiceFormView):
    model = Department
    permission_action = "add"
    form_class = forms.DepartmentForm
    title = gettext_lazy("New department")
    audit_action = "people.department.created"
    success_message = gettext_lazy("The department has been created.")
    success_url = reverse_lazy("people:department_list")

    def perform(self, form: forms.DepartmentForm) -> Department:
        user = self.request.user
        parent = form.cleaned_data["parent"]
        enterprise_id = parent.enterprise_id if parent else user.enterprise_id  # type: ignore[union-attr]
        if enterprise_id is None:
            raise ServiceError(
                _("Departments belong to an enterprise; log in as its administrator.")
            )
        return services.create_department(
            actor=self.actor,
            enterprise_id=enterprise_id,
            name=form.cleaned_data["name"],
            code=form.cleaned_data["code"],
            parent=parent,
        )


class DepartmentEditView(ObjectEditView):
    model = Department
    form_class = forms.DepartmentForm
    title = gettext_lazy("Edit department")
    audit_action = "people.department.changed"
    success_message = gettext_lazy("The department has been saved.")
    success_url = reverse_lazy("people:department_list")

    def perform(self, form: forms.DepartmentForm) -> Department:
        return services.update_department(
            self.object,
            actor=self.actor,
            name=form.cleaned_data["name"],
            code=form.cleaned_data["code"],
            parent=form.cleaned_data["parent"],
        )


class DepartmentDeleteView(ObjectDeleteView):
    model = Department
    audit_action = "people.department.deleted"
    success_message = gettext_lazy("The department has been deleted.")
    success_url = reverse_lazy("people:department_list")

    def perform(self, form: Any) -> None:
        services.delete_department(self.object, actor=self.actor)


# --- person groupings ------------------------------------------------------------------------


class PersonGroupListView(ObjectListView):
    model = PersonGroup
    table_class = tables.PersonGroupTable
    filterset_class = filtersets.PersonGroupFilterSet
    add_url_name = "people:persongroup_add"
    title = gettext_lazy("Person groupings")

    def get_queryset(self) -> QuerySet[PersonGroup]:
        queryset: QuerySet[PersonGroup] = super().get_queryset()
        return (
            queryset.select_related("group")
            .annotate(person_count=Count("persons"))
            .order_by("group__path", "category", "-is_default", "name")
        )


class PersonGroupCreateView(ServiceFormView):
    model = PersonGroup
    permission_action = "add"
    form_class = forms.PersonGroupForm
    title = gettext_lazy("New grouping")
    audit_action = "people.grouping.created"
    success_message = gettext_lazy("The grouping has been created.")
    success_url = reverse_lazy("people:persongroup_list")

    def perform(self, form: forms.PersonGroupForm) -> PersonGroup:
        return services.create_person_group(
            actor=self.actor,
            group=form.cleaned_data["group"],
            category=form.cleaned_data["category"],
            name=form.cleaned_data["name"],
        )


class PersonGroupEditView(ObjectEditView):
    model = PersonGroup
    form_class = forms.PersonGroupForm
    title = gettext_lazy("Rename grouping")
    audit_action = "people.grouping.changed"
    success_message = gettext_lazy("The grouping has been saved.")
    success_url = reverse_lazy("people:persongroup_list")

    def perform(self, form: forms.PersonGroupForm) -> PersonGroup:
        return services.rename_person_group(
            self.object, actor=self.actor, name=form.cleaned_data["name"]
        )


class PersonGroupDeleteView(ObjectDeleteView):
    model = PersonGroup
    audit_action = "people.grouping.deleted"
    success_message = gettext_lazy("The grouping has been deleted.")
    success_url = reverse_lazy("people:persongroup_list")

    def perform(self, form: Any) -> None:
        services.delete_person_group(self.object, actor=self.actor)
