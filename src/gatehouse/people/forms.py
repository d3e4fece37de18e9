from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gatehouse.core.forms import ConsoleForm
from gatehouse.people import selectors
from gatehouse.people.models import Category, Department, Gender, Person, PersonGroup
from gatehouse.people.photos import MAX_PHOTO_BYTES
from gatehouse.tenancy import selectors as tenancy_selectors

IMAGE_ACCEPT = "image/jpeg,image/png,.jpg,.jpeg,.png"
SPREADSHEET_MAX_BYTES = 20 * 1024 * 1024
PORTRAIT_ZIP_MAX_BYTES = 200 * 1024 * 1024


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


def _limited_file(upload: Any, limit: int, message: str) -> Any:
    if upload is not None and upload.size is not None and upload.size > limit:
        raise forms.ValidationError(message)
    return upload


class PersonForm(ConsoleForm):
    """One person of the category the page is for (employee, visitor or blacklist)."""

    personnel_id = forms.CharField(label=_("Personnel ID"), max_length=20)
    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    placement = forms.ChoiceField(label=_("Grouping"))
    department = forms.TypedChoiceField(
        label=_("Department"), coerce=int, required=False, empty_value=None
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    mobile_phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)
    id_card_number = forms.CharField(label=_("ID card number"), max_length=40, required=False)
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=20,
        required=False,
        help_text=_("One card per person."),
    )
    device_pin = forms.CharField(
        label=_("Device PIN"),
        max_length=8,
        required=False,
        help_text=_("4 to 8 digits, typed on a device's keypad to verify."),
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
    )
    nationality = forms.CharField(label=_("Nationality"), max_length=60, required=False)
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=60, required=False)
    birth_place = forms.CharField(label=_("Place of birth"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    address = forms.CharField(label=_("Contact address"), max_length=255, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    valid_from = forms.DateTimeField(label=_("Valid from"), required=False, widget=DateTimeInput())
    valid_until = forms.DateTimeField(
        label=_("Valid until"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("After this moment the person can no longer verify at devices."),
    )
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    photo = forms.FileField(
        label=_("Face photo"),
        required=False,
        help_text=_(
            "Upload from local: jpg or png, at most 500 KB, one face taking at least a third "
            "of the photo's width, front-facing, sharp and evenly lit."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    def __init__(self, *args: Any, category: str = Category.EMPLOYEE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        self.fields["placement"].choices = selectors.placement_choices(self.user, category)  # type: ignore[attr-defined]
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *selectors.department_choices(self.user),
        ]
        if isinstance(self.instance, Person):
            for name in self.fields:
                if hasattr(self.instance, name) and name not in {"photo", "department"}:
                    self.initial.setdefault(name, getattr(self.instance, name))
            self.initial.setdefault("department", self.instance.department_id)
            self.initial.setdefault("placement", f"pg:{self.instance.person_group_id}")
            self.fields["photo"].help_text = _(
                "Choose a new photo to replace the current one (same rules)."
            )

    def clean_photo(self) -> Any:
        return _limited_file(
            self.cleaned_data.get("photo"),
            MAX_PHOTO_BYTES,
            str(_("The photo is larger than 500 KB.")),
        )

    def clean_department(self) -> Department | None:
        pk = self.cleaned_data.get("department")
        if pk is None:
            return None
        return selectors.visible_departments(self.user).get(pk=pk)

    def clean_placement(self) -> dict[str, Any]:
        return selectors.resolve_placement(self.user, self.category, self.cleaned_data["placement"])

    def service_values(self) -> dict[str, Any]:
        """Cleaned data as keyword arguments of create_person / update_person."""
        data = dict(self.cleaned_data)
        data.pop("photo", None)
        data.update(data.pop("placement"))
        data["category"] = self.category
        return data


class PersonGroupForm(ConsoleForm):
    name = forms.CharField(label=_("Grouping name"), max_length=100)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    group = forms.TypedChoiceField(label=_("User group"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = tenancy_selectors.group_choices(self.user)  # type: ignore[attr-defined]
        if isinstance(self.instance, PersonGroup):
            self.initial.setdefault("name", self.instance.name)
            del self.fields["category"]
            del self.fields["group"]

    def clean_group(self) -> Any:
        return tenancy_selectors.visible_groups(self.user).get(pk=self.cleaned_data["group"])


class DepartmentForm(ConsoleForm):
    name = forms.CharField(label=_("Department name"), max_length=100)
    code = forms.CharField(label=_("Department code"), max_length=30, required=False)
    parent = forms.TypedChoiceField(
        label=_("Parent department"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.department_choices(self.user)
        if isinstance(self.instance, Department):
            self.initial.setdefault("name", self.instance.name)
            self.initial.setdefault("code", self.instance.code)
            self.initial.setdefault("parent", self.instance.parent_id)
            below = set(
                Department.objects.filter(
                    enterprise_id=self.instance.enterprise_id,
                    path__startswith=self.instance.path,
                ).values_list("pk", flat=True)
            )
            choices = [(pk, label) for pk, label in choices if pk not in below]
        self.fields["parent"].choices = [("", _("(top level)")), *choices]  # type: ignore[attr-defined]

    def clean_parent(self) -> Department | None:
        pk = self.cleaned_data.get("parent")
        if pk is None:
            return None
        return selectors.visible_departments(self.user).get(pk=pk)


class PersonImportForm(ConsoleForm):
    """Smart Pass 4.1.2: upload the filled-in template, choose how to treat duplicates."""

    file = forms.FileField(
        label=_("Excel file"),
        help_text=_("The filled-in template, xlsx or xls, at most 20 MB."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.xls,application/vnd.ms-excel,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    group = forms.TypedChoiceField(
        label=_("User group"),
        coerce=int,
        help_text=_("Rows without a grouping go to this group's default grouping."),
    )
    mode = forms.ChoiceField(
        label=_("Duplicate personnel IDs"),
        choices=[
            ("skip", _("Import without overwriting: skip them and report them")),
            ("overwrite", _("Overwrite import: update the existing persons")),
        ],
        initial="skip",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = tenancy_selectors.group_choices(self.user)  # type: ignore[attr-defined]
        self.fields["mode"].widget.attrs["class"] = "form-check-input"

    def clean_file(self) -> Any:
        return _limited_file(
            self.cleaned_data.get("file"),
            SPREADSHEET_MAX_BYTES,
            str(_("The file is larger than 20 MB.")),
        )

    def clean_group(self) -> Any:
        return tenancy_selectors.visible_groups(self.user).get(pk=self.cleaned_data["group"])


class PortraitImportForm(ConsoleForm):
    """Smart Pass 4.1.3: a zip of photos named after personnel IDs."""

    file = forms.FileField(
        label=_("Zip file"),
        help_text=_(
            "Photos named after personnel IDs (1001.jpg), jpg or png, at most 500 KB each; "
            "the zip at most 200 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def clean_file(self) -> Any:
        return _limited_file(
            self.cleaned_data.get("file"),
            PORTRAIT_ZIP_MAX_BYTES,
            str(_("The zip file is larger than 200 MB.")),
        )
