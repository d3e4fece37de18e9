"""Background work of the people app: bulk imports (personnel information, portrait zips), the
app-login mail and the clean-up of photo and upload files nothing points at."""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.jobs import JobContext, JobRunner, enqueue, housekeeping
from gatehouse.core.jobs.housekeeping import remove_unreferenced_files
from gatehouse.core.models import Job
from gatehouse.core.spreadsheets import OLE2_MAGIC, SpreadsheetError, write_table
from gatehouse.people import photos, portraits, services, workbooks
from gatehouse.people.models import Person, Photo
from gatehouse.tenancy.app_login import enterprise_qr_png
from gatehouse.tenancy.models import Enterprise, Group, User

UPLOAD_FOLDER = "imports"


def save_upload(content: bytes, suffix: str) -> str:
    """Keep an uploaded file until its import job has read it."""
    from uuid import uuid4

    return default_storage.save(f"{UPLOAD_FOLDER}/{uuid4().hex}{suffix}", ContentFile(content))


def start_person_import(
    data: bytes, *, actor: Actor, group: Group, category: str, overwrite: bool
) -> Job:
    """Check the upload is a personnel workbook with rows (the manual's message at once, on
    the form) and queue its import; the console and the API both start imports here."""
    workbooks.check_import_mode(actor.user, overwrite)
    try:
        table, _mapping = workbooks.open_workbook(data)
    except SpreadsheetError as exc:
        raise ServiceError(str(exc), field="file") from None
    if not table.rows:
        raise ServiceError(_("The file has no rows to import."), field="file")
    file_format = "xls" if data.startswith(OLE2_MAGIC) else "xlsx"
    return enqueue(
        PersonImport,
        actor=actor,
        enterprise_id=group.enterprise_id,
        group_path=group.path,
        upload=save_upload(data, f".{file_format}"),
        group_id=group.pk,
        category=category,
        overwrite=overwrite,
        file_format=file_format,
        language=translation.get_language(),
    )


def start_portrait_import(data: bytes, *, actor: Actor, category: str) -> Job:
    """Check the upload is a readable zip and queue the portrait import for the actor's
    enterprise."""
    enterprise_id = getattr(actor.user, "enterprise_id", None)
    if enterprise_id is None:
        raise ServiceError(_("Portraits belong to an enterprise; log in as its administrator."))
    portraits.check_zip_upload(data)
    return enqueue(
        PortraitImport,
        actor=actor,
        enterprise_id=enterprise_id,
        upload=save_upload(data, ".zip"),
        category=category,
        language=translation.get_language(),
    )


def _actor_for(job: Job) -> Actor:
    """The job acts as the user who started it, with that user's visibility."""
    user = job.created_by
    if user is None or not user.is_active:
        raise ServiceError(_("The user who started this import no longer exists or is disabled."))
    return Actor.for_user(user)


def _user_language(job: Job) -> str:
    """The language of the user who started the job (a `language` argument, else the user's
    own setting): its messages, failure tables and mails are read in it."""
    user: User | None = job.created_by
    chosen = str(job.arguments.get("language") or "") or (user.language if user else "")
    try:
        return translation.get_supported_language_variant(chosen or settings.LANGUAGE_CODE)
    except LookupError:
        return str(settings.LANGUAGE_CODE)


def _read_upload(ctx: JobContext) -> bytes:
    name = str(ctx.arguments["upload"])
    with default_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


def _drop_upload(ctx: JobContext) -> None:
    name = ctx.arguments.get("upload")
    if name:
        default_storage.delete(str(name))


class UploadImport(JobRunner):
    """An import of an uploaded file: runs in the language of the user who started it, as
    that user, and deletes the upload however it ends."""

    def run(self, ctx: JobContext) -> None:
        try:
            with translation.override(_user_language(ctx.job)):
                self.import_upload(ctx, _read_upload(ctx))
        finally:
            _drop_upload(ctx)

    def import_upload(self, ctx: JobContext, data: bytes) -> None:
        raise NotImplementedError


class PersonImport(UploadImport):
    """Smart Pass 4.1.2: import personnel information from an xlsx or xls file."""

    kind = "people.import_persons"
    title = gettext_lazy("Importing personnel information")

    def import_upload(self, ctx: JobContext, data: bytes) -> None:
        actor = _actor_for(ctx.job)
        group = Group.objects.filter(pk=ctx.arguments["group_id"]).first()
        if group is None:
            raise ServiceError(_("The user group chosen for this import no longer exists."))
        try:
            table, mapping = workbooks.open_workbook(data)
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


class PortraitImport(UploadImport):
    """Smart Pass 4.1.3: portrait photos from a zip, each named after a personnel ID."""

    kind = "people.import_portraits"
    title = gettext_lazy("Importing portrait photos")

    def import_upload(self, ctx: JobContext, data: bytes) -> None:
        def progress(done: int, total: int, note: str) -> None:
            ctx.progress(done, total, note=note)
            if done % 50 == 0:
                ctx.check_cancelled()

        report = portraits.import_portrait_zip(
            data,
            actor=_actor_for(ctx.job),
            enterprise_id=int(ctx.job.enterprise_id or 0),
            category=str(ctx.arguments["category"]),
            on_progress=progress,
            on_warning=ctx.log,
        )
        ctx.set_summary(
            counts=[
                (_("Files"), report.total),
                (_("Imported"), report.imported),
                (_("Failed"), len(report.failures)),
            ],
            failure_columns=[_("File"), _("Reason")],
            failures=report.failures,
        )
        if report.failures:
            ctx.save_result(
                f"{_('Portrait import failures')}.xlsx",
                write_table(
                    title=_("Failures"),
                    headers=[_("File"), _("Reason")],
                    rows=report.failures,
                    file_format="xlsx",
                ),
            )
        ctx.log(report.note())
        ctx.log(_("The portrait photos in this file have been imported."))


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
        language = _user_language(ctx.job)
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


def remove_orphaned_files() -> int:
    """Photo files with no Photo row (an upload whose transaction rolled back) and import
    uploads whose job is gone; a step of the hourly housekeeping job."""
    files = Photo._base_manager.values_list("file", flat=True)
    referenced = {path for name in files for path in (name, photos.thumbnail_path(name))}
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
