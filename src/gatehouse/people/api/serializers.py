"""API shapes for persons, departments and groupings. Write serializers check only the form of
the input; the rules (unique personnel IDs and cards, PIN format, validity, groupings) live in
people/services.py, so the API and the console refuse the same things with the same words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gatehouse.core.api.viewsets import VisiblePrimaryKeyRelatedField
from gatehouse.people.models import Category, Department, Gender, Person, PersonGroup
from gatehouse.people.services import PERSON_FIELDS
from gatehouse.tenancy.models import Group

PERSON_READ_FIELDS = (
    "id",
    *(name for name in PERSON_FIELDS if name != "device_pin"),  # the PIN is write-only
    "group",
    "has_device_pin",
    "can_verify",
    "app_login_enabled",
    "has_photo",
    "photo_sha256",
    "created_at",
    "updated_at",
)


class PersonSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    has_device_pin = serializers.SerializerMethodField()
    has_photo = serializers.SerializerMethodField()
    photo_sha256 = serializers.SerializerMethodField()
    can_verify = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = PERSON_READ_FIELDS
        read_only_fields = fields

    def get_has_device_pin(self, person: Person) -> bool:
        return bool(person.device_pin)

    def get_has_photo(self, person: Person) -> bool:
        return person.photo_id is not None

    def get_photo_sha256(self, person: Person) -> str | None:
        return person.photo.sha256 if person.photo is not None else None

    def get_can_verify(self, person: Person) -> bool:
        return person.can_verify()


class PersonWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`person_group` places the person; or `group` puts it in that user group's default
    grouping for its category. The device PIN is write-only (the API says only whether one is
    set)."""

    category = serializers.ChoiceField(choices=Category.choices, required=False)
    personnel_id = serializers.CharField(max_length=20)
    first_name = serializers.CharField(max_length=50)
    last_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    person_group = VisiblePrimaryKeyRelatedField(PersonGroup, required=False)
    group = VisiblePrimaryKeyRelatedField(Group, required=False)
    department = VisiblePrimaryKeyRelatedField(Department, required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    mobile_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    id_card_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    card_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    device_pin = serializers.CharField(
        max_length=8, required=False, allow_blank=True, write_only=True
    )
    nationality = serializers.CharField(max_length=60, required=False, allow_blank=True)
    ethnicity = serializers.CharField(max_length=60, required=False, allow_blank=True)
    birth_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    is_enabled = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "person_group" not in attrs and "group" not in attrs:
            raise serializers.ValidationError(
                {"person_group": _("Give a person_group, or a group for its default grouping.")}
            )
        return attrs


class PhotoUploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    photo = serializers.FileField(help_text=_("jpg or png, at most 500 KB, exactly one face."))


class PhotoResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    person = PersonSerializer(read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)


class AppLoginResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    app_login_enabled = serializers.BooleanField(read_only=True)
    mailed = serializers.BooleanField(read_only=True)
    one_time_password = serializers.CharField(
        read_only=True,
        allow_blank=True,
        help_text=_("Only when no mail was sent: shown this once; to be changed at first login."),
    )
    reason = serializers.CharField(read_only=True, allow_blank=True)


class PersonImportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(help_text=_("The filled-in template, xlsx or xls."))
    category = serializers.ChoiceField(choices=Category.choices, default=Category.EMPLOYEE)
    group = VisiblePrimaryKeyRelatedField(
        Group, help_text=_("Rows without a grouping go to this group's default grouping.")
    )
    mode = serializers.ChoiceField(choices=[("skip", "skip"), ("overwrite", "overwrite")])


class PortraitImportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(help_text=_("A zip of jpg/png photos named after personnel IDs."))
    category = serializers.ChoiceField(choices=Category.choices, default=Category.EMPLOYEE)


class DepartmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    depth = serializers.IntegerField(read_only=True)

    class Meta:
        model = Department
        fields = ("id", "code", "name", "parent", "path", "depth", "created_at")
        read_only_fields = fields


class DepartmentWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=100)
    code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    parent = VisiblePrimaryKeyRelatedField(  # type: ignore[assignment]
        Department, required=False, allow_null=True, help_text=_("Empty for a top department.")
    )


class PersonGroupSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = PersonGroup
        fields = ("id", "group", "category", "name", "display_name", "is_default", "created_at")
        read_only_fields = fields


class PersonGroupWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A new grouping needs its user group and category; afterwards only its name changes."""

    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    group = VisiblePrimaryKeyRelatedField(Group, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        grouping: PersonGroup | None = self.instance
        if grouping is None:
            missing = {
                name: _("Give the user group and the category of the new grouping.")
                for name in ("group", "category")
                if name not in attrs
            }
            if missing:
                raise serializers.ValidationError(missing)
            return attrs
        fixed = {
            name: _("A grouping keeps its %(field)s; create a new grouping instead.")
            % {"field": name}
            for name, current in (("group", grouping.group), ("category", grouping.category))
            if name in attrs and attrs[name] != current
        }
        if fixed:
            raise serializers.ValidationError(fixed)
        return attrs
