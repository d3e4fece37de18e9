"""Background work of the people app: bulk imports (personnel information, portrait zips), the
app-login mail and the clean-up of photo and upload files nothing points at."""

from __future__ import annotations

from email.mime.image import MIMEImage
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from gatehouse.core.actors import Actor
from gatehouse.core.archives import ArchiveError, read_zip
from gatehouse.core.errors import ServiceError
from gatehouse.core.jobs import JobContext, JobRunner, housekeeping
from gatehouse.core.jobs.housekeeping import remove_unreferenced_files
from gatehouse.core.models import Job
from gatehouse.core.spreadsheets import SpreadsheetError
from gatehouse.people import photos, services, workbooks
from gatehouse.people.models import Person, Photo
from gatehouse.tenancy.app_login import enterprise_qr_png
from gatehouse.tenancy.models import Enterprise, Group, User

UPLOAD_FOLDER = "imports"
# Portrait zips: members and sizes a browser upload of a folder of photos stays well within.
PORTRAIT_MEMBER_LIMIT = 5000
PORTRAIT_TOTAL_BYTES = 300 * 1024 * 1024
PORTRAIT_SUFFIXES = {".jpg", ".jpeg", ".png"}


def save_upload(content: bytes, suffix: str) -> str:
    """Keep an uploaded file until its import job has read it."""
    from uuid import uuid4

    return default_storage.save(f"{UPLOAD_FOLDER}/{uuid4().hex}{suffix}", ContentFile(content))


def _actor_for(job: Job) -> Actor:
    """The job acts as the user who started it, with that user's visibility."""
    user = job.created_by
    if user is None or not user.is_active:
        raise ServiceError(_("The user who started this import no longer exists or is disabled."))
    return Actor.for_user(user)


def _read_upload(ctx: JobContext) -> bytes:
    name = str(ctx.arguments["upload"])
    with default_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


def _drop_upload(ctx: JobContext) -> None:
    name = ctx.arguments.get("upload")
    if name:
        default_storage.delete(str(name))


class PersonImport(JobRunner):
    """Smart Pass 4.1.2: import personnel information from an xlsx or xls file."""

    kind = "people.import_persons"
    title = gettext_lazy("Importing personnel information")

    def run(self, ctx: JobContext) -> None:
        try:
            self._import(ctx)
        finally:
            _drop_upload(ctx)

    def _import(self, ctx: JobContext) -> None:
        actor = _actor_for(ctx.job)
        group = Group.objects.get(pk=ctx.arguments["group_id"])
        try:
            table, mapping = workbooks.open_workbook(_read_upload(ctx))
        except SpreadsheetError as exc:
            raise ServiceError(str(exc)) from None
        ctx.progress(0, len(table.rows))

        def progress(done: int, total: int) -> None:
            ctx.progress(done, total)
            if done % 200 == 0:
                ctx.check_cancelled()

        report = workbooks.import_rows(
            table,
            mapping,
            actor=actor,
            group=group,
            category=str(ctx.arguments["category"]),
            overwrite=bool(ctx.arguments.get("overwrite")),
            on_progress=progress,
        )
        counts = [
            (_("Rows"), report.total),
            (_("Created"), report.created),
            (_("Updated"), report.updated),
            (_("Skipped duplicates"), report.skipped),
            (_("Failed"), len(report.failures) - report.skipped),
        ]
        if report.failures:
            file_format = str(ctx.arguments.get("file_format", "xlsx"))
            ctx.save_result(
                f"{_('Import failures')}.{file_format}",
                workbooks.failure_workbook(report, file_format),
            )
        ctx.set_summary(
            counts=counts,
            failure_columns=[str(workbooks.ROW_COLUMN), str(workbooks.FIELD_COLUMN), _("Reason")],
            failures=[[f.row, workbooks.field_title(f.field), f.reason] for f in report.failures],
        )
        if report.failures:
            ctx.log(
                ngettext(
                    "%(count)d row was not imported; see the table and the file.",
                    "%(count)d rows were not imported; see the table and the file.",
                    len(report.failures),
                )
                % {"count": len(report.failures)}
            )
        ctx.log(_("Successful batch import of personnel information."))


class PortraitImport(JobRunner):
    """Smart Pass 4.1.3: portrait photos from a zip, each named after a personnel ID."""

    kind = "people.import_portraits"
    title = gettext_lazy("Importing portrait photos")

    def run(self, ctx: JobContext) -> None:
        try:
            self._import(ctx)
        finally:
            _drop_upload(ctx)

    def _import(self, ctx: JobContext) -> None:
        actor = _actor_for(ctx.job)
        enterprise_id = int(ctx.job.enterprise_id or 0)
        category = str(ctx.arguments["category"])
        try:
            contents = read_zip(
                _read_upload(ctx),
                allowed_suffixes=PORTRAIT_SUFFIXES,
                max_members=PORTRAIT_MEMBER_LIMIT,
                max_member_bytes=photos.MAX_PHOTO_BYTES,
                max_total_bytes=PORTRAIT_TOTAL_BYTES,
            )
        except ArchiveError as exc:
            raise ServiceError(str(exc)) from None
        failures: list[list[Any]] = [[m.name, m.message] for m in contents.rejected]
        total = len(contents.files) + len(contents.rejected)
        imported = 0
        visible = workbooks.visible_persons(actor).filter(category=category)
        by_id = {p.personnel_id.casefold(): p for p in visible.select_related("group")}
        gallery = photos.FaceGallery.load(enterprise_id)

        def note() -> str:
            return _("%(imported)d imported, %(failed)d failed") % {
                "imported": imported,
                "failed": len(failures),
            }

        ctx.progress(len(contents.rejected), total, note=note())
        for done, member in enumerate(contents.files, start=len(contents.rejected) + 1):
            personnel_id = PurePath(member.name).stem
            person = by_id.get(personnel_id.casefold())
            try:
                if person is None:
                    raise ServiceError(
                        _("No %(category)s has the personnel ID %(id)s.")
                        % {"category": _category_label(category), "id": personnel_id}
                    )
                with transaction.atomic():
                    outcome = services.set_photo(
                        person, actor=actor, data=member.data, gallery=gallery
                    )
                imported += 1
                for warning in outcome.warnings:
                    ctx.log(f"{member.name}: {warning}")
            except ServiceError as exc:
                failures.append([member.name, exc.message])
            ctx.progress(done, total, note=note())
            if done % 50 == 0:
                ctx.check_cancelled()
        ctx.set_summary(
            counts=[(_("Files"), total), (_("Imported"), imported), (_("Failed"), len(failures))],
            failure_columns=[_("File"), _("Reason")],
            failures=failures,
        )
        if failures:
            from gatehouse.core.spreadsheets import write_table

            ctx.save_result(
                f"{_('Portrait import failures')}.xlsx",
                write_table(
                    title=_("Failures"),
                    headers=[_("File"), _("Reason")],
                    rows=failures,
                    file_format="xlsx",
                ),
            )
        ctx.log(note())
        ctx.log(_("The portrait photos in this file have been imported."))


def _category_label(category: str) -> str:
    from gatehouse.people.models import Category

    return str(Category(category).label).lower()


class AppLoginMail(JobRunner):
    """Zexus FAQ Q3: tell a person how to log in to the app. The password is made here, so it
    exists only in the mail (never in clear in the database or the job's arguments)."""

    kind = "people.app_login_mail"
    title = gettext_lazy("App login e-mail")

    def run(self, ctx: JobContext) -> None:
        person = Person.objects.select_related("group").get(pk=ctx.arguments["person_id"])
        if not person.app_login_enabled:
            ctx.log(_("App login was turned off again before the mail was sent; nothing sent."))
            return
        if not person.email:
            raise ServiceError(_("%(person)s has no e-mail address.") % {"person": person})
        enterprise = Enterprise.objects.get(pk=person.enterprise_id)
        server_url = str(ctx.arguments.get("server_url", ""))
        language = _mail_language(ctx.job)
        with transaction.atomic(), translation.override(language):
            password = services.set_app_password(person)
            context = {
                "person": person,
                "enterprise": enterprise,
                "password": password,
                "server_url": server_url,
            }
            subject = _("Your %(enterprise)s app login") % {"enterprise": enterprise.name}
            message = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string("people/mail/app_login.txt", context),
                to=[person.email],
            )
            message.attach_alternative(
                render_to_string("people/mail/app_login.html", context), "text/html"
            )
            message.mixed_subtype = "related"  # type: ignore[attr-defined]
            qr = MIMEImage(enterprise_qr_png(enterprise, server_url), _subtype="png")
            qr.add_header("Content-ID", "<enterprise-qr>")
            qr.add_header("Content-Disposition", "inline", filename="enterprise-qr.png")
            message.attach(qr)
            message.send(fail_silently=False)  # a failure rolls the new password back
        ctx.log(_("Sent to %(address)s.") % {"address": person.email})


def _mail_language(job: Job) -> str:
    user: User | None = job.created_by
    return (user.language if user is not None and user.language else None) or "en"


def remove_orphaned_files() -> int:
    """Photo files with no Photo row (an upload whose transaction rolled back) and import
    uploads whose job is gone; a step of the hourly housekeeping job."""
    referenced = set(Photo._base_manager.values_list("file", flat=True))
    removed = remove_unreferenced_files(default_storage, "photos", referenced)
    active_uploads = {
        str(arguments.get("upload"))
        for arguments in Job._base_manager.filter(
            status__in=Job.ACTIVE_STATUSES, kind__startswith="people.import"
        ).values_list("arguments", flat=True)
        if isinstance(arguments, dict)
    }
    return removed + remove_unreferenced_files(default_storage, UPLOAD_FOLDER, active_uploads)


housekeeping.add_step(
    remove_orphaned_files,
    ngettext_lazy(
        "Removed %(count)d photo or upload file nothing refers to.",
        "Removed %(count)d photo or upload files nothing refers to.",
        "count",
    ),
)
