"""/api/v1/ for the people app: persons (all three categories), their photos and app login,
bulk import and export, departments and groupings. Every write is a call to
people/services.py with the acting user, as on the console."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from gatehouse.core.api.jobs import JobSerializer
from gatehouse.core.api.viewsets import TenantModelViewSet
from gatehouse.core.errors import ServiceError
from gatehouse.core.spreadsheets import CONTENT_TYPES, download
from gatehouse.people import filtersets, forms, jobs, photos, services, workbooks
from gatehouse.people.api import serializers as s
from gatehouse.people.models import Category, Department, Person, PersonGroup

FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=["xlsx", "xls"], default="xlsx", description="Spreadsheet format."
)
# Routes whose `format` query parameter is the spreadsheet format.
SPREADSHEET_ACTIONS = frozenset({"export", "import_template"})
SPREADSHEET_RESPONSE = {
    (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
    (200, CONTENT_TYPES["xls"]): OpenApiTypes.BINARY,
}


class PersonApiFilterSet(filtersets.PersonFilterSet):
    q = None
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta(filtersets.PersonFilterSet.Meta):
        fields = (
            "category",
            "group",
            "department",
            "gender",
            "has_photo",
            "is_enabled",
        )


class PersonGroupApiFilterSet(filtersets.PersonGroupFilterSet):
    q = None

    class Meta(filtersets.PersonGroupFilterSet.Meta):
        fields = ("category", "group")  # type: ignore[assignment]


def _spreadsheet_format(request: Request) -> str:
    file_format = request.query_params.get("format", "xlsx")
    if file_format not in ("xlsx", "xls"):
        raise ServiceError(_("The format must be xlsx or xls."), field="format")
    return file_format


def _checked_upload(upload: Any, limit: int, message: str, field: str = "file") -> bytes:
    if upload.size is not None and upload.size > limit:
        raise ServiceError(message, field=field, code="too_large")
    data: bytes = upload.read()
    return data


class PersonViewSet(TenantModelViewSet):
    """Employees, visitors and blacklist entries (`category`) in the caller's part of the
    organization."""

    model = Person
    permission_app = "people"
    permission_actions = {
        "upload_photo": "change",
        "delete_photo": "change",
        "app_login": "change",
        "import_persons": "import",
        "import_portraits": "import",
        "export": "import",
        "import_template": "import",
    }
    serializer_class = s.PersonSerializer
    write_serializer_class = s.PersonWriteSerializer
    filterset_class = PersonApiFilterSet
    search_fields = filtersets.PersonFilterSet.search_fields
    ordering_fields = ("personnel_id", "first_name", "last_name", "created_at", "updated_at")
    ordering = ("personnel_id",)

    def get_queryset(self) -> QuerySet[Person]:
        return super().get_queryset().select_related("photo")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_person(actor=self.actor, **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_person(
            serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Person) -> None:
        services.delete_person(instance, actor=self.actor)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        """On the spreadsheet routes `?format=` names the file format, not one of DRF's
        renderers (URL_FORMAT_OVERRIDE), which would answer 404 for "xls"; their errors are
        JSON."""
        spreadsheet = self.action in SPREADSHEET_ACTIONS
        return super().perform_content_negotiation(request, force=force or spreadsheet)

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], parser_classes=[MultiPartParser, FormParser])
    def photo(self, request: Request, pk: str | None = None) -> FileResponse:
        """The person's face photo, to whoever may see the person (as on the console)."""
        person: Person = self.get_object()
        if person.photo is None or not person.photo.file:
            raise Http404
        try:
            handle = person.photo.file.open("rb")
        except FileNotFoundError:  # the row outlived its file: nothing to show, not a 500
            raise Http404 from None
        content_type = "image/png" if person.photo.image_format == "png" else "image/jpeg"
        response = FileResponse(handle, content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={200: s.PhotoResultSerializer},
        description=_(
            "Upload the face photo (jpg or png, at most 500 KB). The face check refuses photos "
            "without exactly one face taking a third of the width, or too blurred; the answer "
            "warns when the face matches another person."
        ),
    )
    @photo.mapping.post
    def upload_photo(self, request: Request, pk: str | None = None) -> Response:
        person: Person = self.get_object()
        upload = s.PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = _checked_upload(
            upload.validated_data["photo"],
            photos.MAX_PHOTO_BYTES,
            _("The photo is larger than 500 KB."),
            field="photo",
        )
        outcome = services.set_photo(person, actor=self.actor, data=data)
        context = self.get_serializer_context()
        return Response(
            {
                "person": s.PersonSerializer(outcome.person, context=context).data,
                "warnings": outcome.warnings,
            }
        )

    @extend_schema(request=None, responses={204: None})
    @photo.mapping.delete
    def delete_photo(self, request: Request, pk: str | None = None) -> Response:
        """Remove the person's face photo."""
        services.remove_photo(self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={200: s.AppLoginResultSerializer},
        description=_(
            "Turn on app login with a new random password: e-mailed with the enterprise QR code "
            "when a mail server is configured and the person has an address, else returned "
            "once in `one_time_password`."
        ),
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"], url_path="app-login")
    def app_login(self, request: Request, pk: str | None = None) -> Response:
        person: Person = self.get_object()
        if request.method == "DELETE":
            services.disable_app_login(person, actor=self.actor)
            return Response(status=status.HTTP_204_NO_CONTENT)
        outcome = services.enable_app_login(
            person, actor=self.actor, server_url=request.build_absolute_uri("/")
        )
        return Response(
            {
                "app_login_enabled": True,
                "mailed": outcome.mailed,
                "one_time_password": outcome.password,
                "reason": outcome.reason,
            }
        )

    @extend_schema(
        request={"multipart/form-data": s.PersonImportSerializer},
        responses={202: JobSerializer},
        description=_(
            "Start an import of the filled-in template. Follow the job at /api/v1/jobs/{id}/: "
            "its summary has the counts and the failure table, its result file the failed rows "
            "to fix and import again."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_persons(self, request: Request) -> Response:
        form = s.PersonImportSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        job = jobs.start_person_import(
            _checked_upload(
                form.validated_data["file"],
                forms.SPREADSHEET_MAX_BYTES,
                str(_("The file is larger than 20 MB.")),
            ),
            actor=self.actor,
            group=form.validated_data["group"],
            category=form.validated_data["category"],
            overwrite=form.validated_data["mode"] == "overwrite",
        )
        return self.job_accepted(job)

    def job_accepted(self, job: Any) -> Response:
        return Response(
            JobSerializer(job, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        request={"multipart/form-data": s.PortraitImportSerializer},
        responses={202: JobSerializer},
        description=_(
            "Start a portrait import from a zip of photos named after personnel IDs; each "
            "photo goes through the face check."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import-portraits",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_portraits(self, request: Request) -> Response:
        form = s.PortraitImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        job = jobs.start_portrait_import(
            _checked_upload(
                form.validated_data["file"],
                forms.PORTRAIT_ZIP_MAX_BYTES,
                str(_("The zip file is larger than 200 MB.")),
            ),
            actor=self.actor,
            category=form.validated_data["category"],
        )
        return self.job_accepted(job)

    @extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses=SPREADSHEET_RESPONSE,
        description=_(
            "The persons the filters select (give `category`), as a spreadsheet named as in "
            "the manual. Device PINs are never exported."
        ),
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        file_format = _spreadsheet_format(request)
        category = request.query_params.get("category", Category.EMPLOYEE)
        if category not in Category.values:
            raise ServiceError(_("Unknown category."), field="category")
        queryset = self.filter_queryset(self.get_queryset()).filter(category=category)
        name, content = services.export_persons(
            queryset, actor=self.actor, category=category, file_format=file_format
        )
        return download(content, name, file_format)

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=SPREADSHEET_RESPONSE)
    @action(detail=False, methods=["get"], url_path="import-template")
    def import_template(self, request: Request) -> HttpResponse:
        """The import template ("Personnel_import_template.xls", or xlsx)."""
        file_format = _spreadsheet_format(request)
        return download(
            workbooks.template(file_format),
            f"{workbooks.TEMPLATE_FILE_NAME}.{file_format}",
            file_format,
        )


class DepartmentViewSet(TenantModelViewSet):
    """The enterprise's department tree."""

    model = Department
    permission_app = "people"
    serializer_class = s.DepartmentSerializer
    write_serializer_class = s.DepartmentWriteSerializer
    search_fields = filtersets.DepartmentFilterSet.search_fields
    ordering_fields = ("name", "code", "path", "created_at")
    ordering = ("path",)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        parent = data.get("parent")
        enterprise_id = parent.enterprise_id if parent else self.request.user.enterprise_id
        if enterprise_id is None:
            raise ServiceError(
                _("Departments belong to an enterprise; log in as its administrator.")
            )
        serializer.instance = services.create_department(
            actor=self.actor,
            enterprise_id=enterprise_id,
            name=data["name"],
            code=data.get("code", ""),
            parent=parent,
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.update_department(
            serializer.instance, actor=self.actor, **data
        )

    def perform_destroy(self, instance: Department) -> None:
        services.delete_department(instance, actor=self.actor)


class PersonGroupViewSet(TenantModelViewSet):
    """Employee, visitor and blacklist groupings under the caller's user groups."""

    model = PersonGroup
    permission_app = "people"
    serializer_class = s.PersonGroupSerializer
    write_serializer_class = s.PersonGroupWriteSerializer
    filterset_class = PersonGroupApiFilterSet
    search_fields = ("name",)
    ordering_fields = ("name", "created_at")
    ordering = ("group__path", "category", "name")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_person_group(
            actor=self.actor, group=data["group"], category=data["category"], name=data["name"]
        )

    def perform_update(self, serializer: Any) -> None:
        grouping: PersonGroup = serializer.instance
        name = serializer.validated_data.get("name", grouping.name)
        serializer.instance = services.rename_person_group(grouping, actor=self.actor, name=name)

    def perform_destroy(self, instance: PersonGroup) -> None:
        services.delete_person_group(instance, actor=self.actor)
