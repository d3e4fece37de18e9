"""Persons in spreadsheets (Smart Pass 4.1.2-4.1.4, 4.2.2, 4.3.2): the import template, reading
an uploaded workbook row by row into service calls, and the export of a category.

Columns are matched by their key ("personnel_id") or their title in any language the installation
offers, and so are yes/no and gender labels, so a template downloaded in any language imports
whatever language the import job runs in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gatehouse.audit import services as audit
from gatehouse.audit.services import AuditBatch
from gatehouse.core import events
from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.spreadsheets import (
    SpreadsheetError,
    Table,
    TableRow,
    read_table,
    write_table,
)
from gatehouse.people import services
from gatehouse.people.models import Category, Department, Gender, Person, PersonGroup
from gatehouse.tenancy.models import Group

IMPORT_ROW_LIMIT = 100_000
IMPORT_CHUNK = 250


@dataclass(frozen=True)
class Column:
    key: str
    title: Promise
    required: bool = False


COLUMNS = (
    Column("personnel_id", gettext_lazy("Personnel ID"), required=True),
    Column("first_name", gettext_lazy("First name"), required=True),
    Column("last_name", gettext_lazy("Last name")),
    Column("gender", gettext_lazy("Gender")),
    Column("department", gettext_lazy("Department")),
    Column("person_group", gettext_lazy("Grouping")),
    Column("email", gettext_lazy("E-mail")),
    Column("mobile_phone", gettext_lazy("Mobile phone")),
    Column("id_card_number", gettext_lazy("ID card number")),
    Column("card_number", gettext_lazy("Card number")),
    Column("device_pin", gettext_lazy("Device PIN")),
    Column("nationality", gettext_lazy("Nationality")),
    Column("ethnicity", gettext_lazy("Ethnicity")),
    Column("birth_place", gettext_lazy("Place of birth")),
    Column("birth_date", gettext_lazy("Date of birth")),
    Column("address", gettext_lazy("Contact address")),
    Column("notes", gettext_lazy("Notes")),
    Column("valid_from", gettext_lazy("Valid from")),
    Column("valid_until", gettext_lazy("Valid until")),
    Column("is_enabled", gettext_lazy("Enabled")),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
# Extra columns of the failure file: ignored when the fixed file is imported again.
ROW_COLUMN = gettext_lazy("Row")
REASON_COLUMN = gettext_lazy("Reason")
FIELD_COLUMN = gettext_lazy("Field")

EXPORT_FILE_NAMES = {
    Category.EMPLOYEE: gettext_lazy("Employee Information"),
    Category.VISITOR: gettext_lazy("Visitor information"),
    Category.BLACKLIST: gettext_lazy("Blacklist information"),
}
TEMPLATE_FILE_NAME = "Personnel_import_template"


def _normalise(title: str) -> str:
    return " ".join(str(title).replace("*", " ").split()).casefold()


def spellings(text: Promise | str) -> set[str]:
    """`text` normalised in the active language and in every language the installation offers."""
    found = {_normalise(str(text))}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(_normalise(str(text)))
    return found


def header_map(headers: list[str]) -> dict[str, str]:
    """Spreadsheet header -> column key, for the headers we know."""
    known: dict[str, str] = {}
    for column in COLUMNS:
        known[_normalise(column.key)] = column.key
        known.update(dict.fromkeys(spellings(column.title), column.key))
    return {header: known[_normalise(header)] for header in headers if _normalise(header) in known}


def column_title(column: Column) -> str:
    return f"{column.title}{' *' if column.required else ''}"


def column_titles() -> list[str]:
    return [column_title(column) for column in COLUMNS]


def template(file_format: str) -> bytes:
    """The import template: the headers and one example row a user overwrites."""
    example = [
        "1001",
        "Ada",
        "Lovelace",
        Gender.FEMALE.label,
        "",
        "",
        "ada@example.com",
        "+44 20 7946 0000",
        "",
        "",
        "",
        "",
        "",
        "",
        date(1990, 12, 10),
        "",
        "",
        "",
        "",
        _("Yes"),
    ]
    return write_table(
        title=_("Personnel"), headers=column_titles(), rows=[example], file_format=file_format
    )


# --- reading a row ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _date(value: Any, key: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise ServiceError(_("Enter a date as YYYY-MM-DD."), field=key) from None


def _moment(value: Any, key: str, *, end_of_day: bool) -> datetime | None:
    """A moment in local time. A bare date (typed as YYYY-MM-DD, or a date cell, which reads
    as midnight) is the start of that day, or its end for the end of a validity period."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment, whole_day = value, value.time() == time.min
    elif isinstance(value, date):
        moment, whole_day = datetime.combine(value, time.min), True
    else:
        text = _text(value)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ServiceError(_("Enter a date and time as YYYY-MM-DD HH:MM."), field=key) from None
        whole_day = len(text) == len("YYYY-MM-DD")
    if whole_day and end_of_day:
        moment = moment.replace(hour=23, minute=59, second=59)
    moment = moment.replace(microsecond=0)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@cache
def _yes_no_words() -> tuple[frozenset[str], frozenset[str]]:
    yes = {"", "1", "yes", "y", "true", *spellings(gettext_lazy("Yes"))}
    no = {"0", "no", "n", "false", *spellings(gettext_lazy("No"))}
    return frozenset(yes), frozenset(no)


def _yes_no(value: Any, key: str) -> bool:
    text = _normalise(_text(value))
    yes, no = _yes_no_words()
    if text in yes:
        return True
    if text in no:
        return False
    raise ServiceError(_("Write yes or no."), field=key)


@cache
def _gender_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for choice in Gender:
        words[_normalise(choice.value)[:1]] = str(choice.value)
        words.update(dict.fromkeys(spellings(choice.label) | {choice.value}, str(choice.value)))
    return words


def _gender(value: Any, key: str) -> str:
    text = _normalise(_text(value))
    if not text:
        return ""
    try:
        return _gender_words()[text]
    except KeyError:
        raise ServiceError(_("Gender must be male, female or other."), field=key) from None


def _grouping_key(grouping: PersonGroup) -> str:
    return _normalise(grouping.name or str(grouping))


@dataclass
class Lookups:
    """What rows refer to by name, loaded once per import."""

    group: Group
    category: str
    departments: dict[str, list[Department]] = field(default_factory=dict)
    groupings: dict[str, PersonGroup] = field(default_factory=dict)
    default: PersonGroup | None = None  # the group's default grouping, once it is needed

    @classmethod
    def load(cls, group: Group, category: str) -> Lookups:
        lookups = cls(group=group, category=category)
        for department in Department.objects.filter(enterprise_id=group.enterprise_id):
            for key in {_normalise(department.name), _normalise(department.code)} - {""}:
                lookups.departments.setdefault(key, []).append(department)
        for grouping in PersonGroup.objects.filter(group=group, category=category):
            lookups.groupings[_grouping_key(grouping)] = grouping
        return lookups

    def department(self, value: Any) -> Department | None:
        text = _text(value)
        if not text:
            return None
        found = self.departments.get(_normalise(text), [])
        if not found:
            raise ServiceError(
                _("There is no department %(name)s.") % {"name": text}, field="department"
            )
        if len(found) > 1:
            raise ServiceError(
                _("Several departments are called %(name)s; write its code instead.")
                % {"name": text},
                field="department",
            )
        return found[0]

    def grouping(self, value: Any, current: Person | None = None) -> PersonGroup | None:
        """The grouping a row names; None keeps the grouping of `current`, the person an
        overwrite updates, when the row names none or names the one it is in (an export names
        the grouping, not its user group, and a default grouping not at all)."""
        text = _text(value)
        if current is not None and _normalise(text) in {"", _grouping_key(current.person_group)}:
            return None
        if not text:
            if self.default is None:
                self.default = services.default_person_group(self.group, self.category)
            return self.default
        found = self.groupings.get(_normalise(text))
        if found is None:
            raise ServiceError(
                _("There is no grouping %(name)s in %(group)s.")
                % {"name": text, "group": self.group},
                field="person_group",
            )
        return found


ROW_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "gender": _gender,
    "birth_date": _date,
    "valid_from": lambda v, k: _moment(v, k, end_of_day=False),
    "valid_until": lambda v, k: _moment(v, k, end_of_day=True),
    "is_enabled": _yes_no,
}


def row_values(
    raw: dict[str, Any], lookups: Lookups, current: Person | None = None
) -> dict[str, Any]:
    """One spreadsheet row as service keyword arguments (ServiceError names the field);
    `current` is the person the row overwrites, if any."""
    values: dict[str, Any] = {"category": lookups.category}
    for key, value in raw.items():
        if key == "department":
            values[key] = lookups.department(value)
        elif key in ROW_PARSERS:
            values[key] = ROW_PARSERS[key](value, key)
        elif key != "person_group":
            values[key] = _text(value)
    grouping = lookups.grouping(raw.get("person_group"), current)
    if grouping is not None:
        values["person_group"] = grouping
    return values


# --- the import ------------------------------------------------------------------------------


@dataclass
class ImportFailure:
    row: int
    field: str
    reason: str
    raw: dict[str, Any]


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failures: list[ImportFailure] = field(default_factory=list)
    # the column keys of the upload, in its order: the failure file has these and no others,
    # so that an overwrite import of the fixed file leaves the other fields as they are
    columns: list[str] = field(default_factory=list)


def open_workbook(data: bytes) -> tuple[Table, dict[str, str]]:
    """Read the upload and check it is a personnel template (the manual's "The file content or
    format is incorrect" when it is not, whatever is wrong with it, then what is wrong)."""
    try:
        table = read_table(data, max_rows=IMPORT_ROW_LIMIT, max_columns=100)
    except SpreadsheetError as exc:
        raise _incorrect(exc.message, exc.code) from exc
    mapping = header_map(table.headers)
    missing = [str(c.title) for c in COLUMNS if c.required and c.key not in mapping.values()]
    if missing:
        raise _incorrect(
            _(
                "The column(s) %(columns)s are missing. Fill in the personnel information "
                "according to the template."
            )
            % {"columns": ", ".join(missing)},
            "not_a_template",
        )
    return table, mapping


def _incorrect(reason: str, code: str) -> SpreadsheetError:
    return SpreadsheetError(
        _("The file content or format is incorrect. %(reason)s") % {"reason": reason}, code=code
    )


def check_import_mode(user: Any, overwrite: bool) -> None:
    """Overwriting changes existing persons, so it also needs the change permission."""
    from gatehouse.core.permissions import has_permission

    if overwrite and not has_permission(user, "people.change"):
        raise ServiceError(
            _(
                "An overwrite import changes existing persons: it needs the permission to change "
                "persons."
            ),
            field="mode",
        )


@dataclass
class RowImporter:
    """Imports the rows of a table chunk by chunk, remembering what earlier rows did. New
    persons of a chunk are created with one insert (services.create_persons); rows that
    overwrite go one by one."""

    actor: Actor
    group: Group
    overwrite: bool
    lookups: Lookups
    report: ImportReport
    mapping: dict[str, str]
    existing: dict[str, int]  # lower-cased personnel ID -> person id
    known: services.KnownKeys
    seen: dict[str, int] = field(default_factory=dict)  # lower-cased personnel ID -> row

    def chunk(self, rows: list[TableRow], batch: AuditBatch) -> None:
        new: list[tuple[TableRow, dict[str, Any], dict[str, Any]]] = []
        for row in rows:
            raw = {self.mapping[h]: v for h, v in row.values.items() if h in self.mapping}
            try:
                values = self._prepare(row, raw, batch)
            except ServiceError as exc:
                self._fail(row, raw, exc)
                continue
            if values is not None:
                new.append((row, raw, values))
        if new:
            self._create(new, batch)

    def _prepare(
        self, row: TableRow, raw: dict[str, Any], batch: AuditBatch
    ) -> dict[str, Any] | None:
        """The values of a new person, or None when the row overwrote an existing one."""
        personnel_id = _text(raw.get("personnel_id"))
        folded = personnel_id.casefold()
        if folded in self.seen:
            raise ServiceError(
                _("The personnel ID %(id)s appears twice in the file (row %(row)d).")
                % {"id": personnel_id, "row": self.seen[folded]},
                field="personnel_id",
                code="duplicate",
            )
        if folded:
            self.seen[folded] = row.number
        pk = self.existing.get(folded) if folded else None
        if pk is None:
            return row_values(raw, self.lookups)
        if not self.overwrite:
            raise ServiceError(
                _("The personnel ID %(id)s already exists; skipped.") % {"id": personnel_id},
                field="personnel_id",
                code="skipped",
            )
        mark = batch.mark()
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                person = _overwrite(pk, personnel_id, raw, self.lookups, actor=self.actor)
        except ServiceError:
            batch.discard_since(mark)
            raise
        self.known.add(person.personnel_id, person.card_number)
        self.report.updated += 1
        return None

    def _create(
        self, new: list[tuple[TableRow, dict[str, Any], dict[str, Any]]], batch: AuditBatch
    ) -> None:
        mark = batch.mark()
        try:
            with transaction.atomic():
                results = services.create_persons(
                    actor=self.actor,
                    enterprise_id=self.group.enterprise_id,
                    rows=[values for _row, _raw, values in new],
                    known=self.known,
                )
        except IntegrityError:
            # another writer took an ID or a card meanwhile: reread, and go row by row
            batch.discard_since(mark)
            self.known = services.KnownKeys.load(self.group.enterprise_id)
            results = [self._create_one(values, batch) for _row, _raw, values in new]
        for (row, raw, _values), result in zip(new, results, strict=True):
            if isinstance(result, ServiceError):
                self._fail(row, raw, result)
            else:
                self.existing[result.personnel_id.casefold()] = result.pk
                self.report.created += 1

    def _create_one(self, values: dict[str, Any], batch: AuditBatch) -> Person | ServiceError:
        mark = batch.mark()
        try:
            with transaction.atomic():
                return services.create_person(
                    actor=self.actor, enterprise_id=self.group.enterprise_id, **values
                )
        except (ServiceError, IntegrityError) as exc:
            batch.discard_since(mark)
            if isinstance(exc, ServiceError):
                return exc
            return ServiceError(_("The personnel ID or card is already used."), code="duplicate")

    def _fail(self, row: TableRow, raw: dict[str, Any], exc: ServiceError) -> None:
        if exc.code == "skipped":
            self.report.skipped += 1
        self.report.failures.append(
            ImportFailure(row=row.number, field=exc.field or "", reason=exc.message, raw=raw)
        )


def import_rows(
    table: Table,
    mapping: dict[str, str],
    *,
    actor: Actor,
    group: Group,
    category: str,
    overwrite: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create (or, with `overwrite`, update) one person per row. Each row succeeds or fails on
    its own; a failure records its row number, field and reason and loses nothing else.

    Rows commit in chunks, each row in its own savepoint, and their system log entries are
    chained and inserted once per chunk: per-row commits and chain locks were most of an
    import's time. No live event per person is sent; the job's progress and result say what
    happened (the system log still has an entry per person)."""
    report = ImportReport(
        total=len(table.rows),
        columns=list(dict.fromkeys(mapping[h] for h in table.headers if h in mapping)),
    )
    existing = Person.objects.filter(enterprise_id=group.enterprise_id).values_list(
        "personnel_id", "pk"
    )
    importer = RowImporter(
        actor=actor,
        group=group,
        overwrite=overwrite,
        lookups=Lookups.load(group, category),
        report=report,
        mapping=mapping,
        existing={key.casefold(): pk for key, pk in existing},
        known=services.KnownKeys.load(group.enterprise_id),
    )
    rows = table.rows
    for start in range(0, len(rows), IMPORT_CHUNK):
        with transaction.atomic(), events.quiet(), audit.batched() as batch:
            importer.chunk(rows[start : start + IMPORT_CHUNK], batch)
        if on_progress is not None:
            on_progress(min(start + IMPORT_CHUNK, len(rows)), report.total)
    report.failures.sort(key=lambda failure: failure.row)  # in the order of the file
    return report


def _overwrite(
    pk: int, personnel_id: str, raw: dict[str, Any], lookups: Lookups, *, actor: Actor
) -> Person:
    """Update the person a row names, if the actor may see it and it is of the imported
    category (an import of visitors does not turn an employee into a visitor)."""
    person = visible_persons(actor).select_related("person_group", "group").filter(pk=pk).first()
    if person is None:
        raise ServiceError(
            _("The personnel ID %(id)s belongs to a person you cannot change.")
            % {"id": personnel_id},
            field="personnel_id",
        )
    if person.category != lookups.category:
        raise ServiceError(
            _(
                "The personnel ID %(id)s belongs to a person of another category "
                "(%(category)s); it was not changed."
            )
            % {"id": personnel_id, "category": Category(person.category).label},
            field="personnel_id",
        )
    return services.update_person(person, actor=actor, **row_values(raw, lookups, current=person))


def visible_persons(actor: Actor) -> QuerySet[Person]:
    if actor.user is None:
        return Person.objects.none()
    persons: QuerySet[Person] = Person.objects.visible_to(actor.user)
    return persons


def field_title(key: str) -> str:
    column = COLUMN_BY_KEY.get(key)
    return str(column.title) if column else key


def failure_workbook(report: ImportReport, file_format: str) -> bytes:
    """The failed rows with their original values, the row number and the reason: fix the
    values, and import the same file again (the extra columns are ignored)."""
    columns = [COLUMN_BY_KEY[key] for key in report.columns] or list(COLUMNS)
    headers = [
        *(column_title(column) for column in columns),
        str(ROW_COLUMN),
        str(FIELD_COLUMN),
        str(REASON_COLUMN),
    ]
    rows = (
        [
            *(failure.raw.get(column.key, "") for column in columns),
            failure.row,
            field_title(failure.field),
            failure.reason,
        ]
        for failure in report.failures
    )
    return write_table(title=_("Failures"), headers=headers, rows=rows, file_format=file_format)


# --- export ----------------------------------------------------------------------------------


# Device PINs are secrets: they are imported, never exported (an overwrite import of an
# exported file leaves them as they are, since the column is absent).
EXPORT_COLUMNS = tuple(column for column in COLUMNS if column.key != "device_pin")


def export_rows(queryset: QuerySet[Person]) -> Iterator[list[Any]]:
    for person in queryset.select_related("department", "person_group").iterator(chunk_size=2000):
        values: dict[str, Any] = {
            "gender": person.get_gender_display() if person.gender else "",
            "department": person.department.name if person.department else "",
            "person_group": "" if person.person_group.is_default else person.person_group.name,
            "valid_from": _local(person.valid_from),
            "valid_until": _local(person.valid_until),
            "is_enabled": _("Yes") if person.is_enabled else _("No"),
        }
        yield [values[c.key] if c.key in values else getattr(person, c.key) for c in EXPORT_COLUMNS]


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def export(queryset: QuerySet[Person], category: str, file_format: str) -> tuple[str, bytes]:
    """The category's file, named as in the manual ("Employee Information.xls")."""
    name = f"{EXPORT_FILE_NAMES[Category(category)]}.{file_format}"
    content = write_table(
        title=str(Category(category).label),
        headers=[str(c.title) for c in EXPORT_COLUMNS],
        rows=export_rows(queryset),
        file_format=file_format,
    )
    return name, content
