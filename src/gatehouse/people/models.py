"""Persons (employees, visitors, blacklist), departments, person groups and face photos
(Smart Pass chapter 4; the personnel fields of the Zexus app's Personnel Registration)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import TenantModel
from gatehouse.core.trees import TreeDepth

PERSONNEL_ID_PATTERN = r"^[A-Za-z0-9]{1,20}$"
DEVICE_PIN_PATTERN = r"^[0-9]{4,8}$"
CARD_NUMBER_PATTERN = r"^[0-9A-Fa-f]{1,20}$"


class Category(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    VISITOR = "visitor", _("Visitor")
    BLACKLIST = "blacklist", _("Blacklist")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class Department(TreeDepth, TenantModel):
    """A node of the enterprise's department tree (CVSecurity personnel). `path` ("/3/7/")
    makes "this department and below" one prefix match, as for user groups."""

    code = models.CharField(_("department code"), max_length=30, blank=True)
    name = models.CharField(_("department name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=500, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    # departments are enterprise-wide: every user of the enterprise may file people in them
    group_path_lookup: ClassVar[str | None] = None

    class Meta:
        ordering = ["path"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "parent", "name"], name="people_department_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PersonGroup(TenantModel):
    """An employee, visitor or blacklist grouping under one user group (Smart Pass 4.1.7):
    each user group has a default grouping per category and may add its own."""

    group = models.ForeignKey(
        "tenancy.Group",
        verbose_name=_("user group"),
        on_delete=models.CASCADE,
        related_name="person_groups",
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    # the default grouping has no name of its own: it is shown in the reader's language
    name = models.CharField(_("grouping name"), max_length=100, blank=True)
    is_default = models.BooleanField(_("default grouping"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["group__path", "category", "-is_default", "name"]
        verbose_name = _("person grouping")
        verbose_name_plural = _("person groupings")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "category", "name"], name="people_persongroup_unique_name"
            ),
        ]

    def __str__(self) -> str:
        if self.is_default:
            return gettext("Default grouping")
        return self.name


class Photo(TenantModel):
    """A face photo, stored once per enterprise under its SHA-256 (the hash is the file name),
    so that syncing can send each photo once per device however many persons point at it."""

    sha256 = models.CharField(max_length=64, editable=False)
    file = models.FileField(max_length=255, editable=False)
    image_format = models.CharField(_("format"), max_length=8, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    byte_size = models.PositiveIntegerField(editable=False)
    embedding = models.BinaryField(editable=False)
    face_box = models.JSONField(default=list, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    group_path_lookup: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("face photo")
        verbose_name_plural = _("face photos")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "sha256"], name="people_photo_unique"),
        ]

    def __str__(self) -> str:
        return self.sha256[:12]


class Person(TenantModel):
    """One person of any category. The personnel ID is the person's key on devices and in
    imports, so it is unique in the enterprise across categories; so is the card number
    (one card per person, as the manual notes)."""

    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.EMPLOYEE
    )
    personnel_id = models.CharField(
        _("personnel ID"),
        max_length=20,
        validators=[RegexValidator(PERSONNEL_ID_PATTERN)],
    )
    first_name = models.CharField(_("first name"), max_length=50)
    last_name = models.CharField(_("last name"), max_length=50, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
    )
    person_group = models.ForeignKey(
        PersonGroup,
        verbose_name=_("grouping"),
        on_delete=models.PROTECT,
        related_name="persons",
    )
    # the user group of `person_group`, kept here so visibility is one indexed prefix match
    group = models.ForeignKey(
        "tenancy.Group",
        verbose_name=_("user group"),
        on_delete=models.PROTECT,
        related_name="persons",
        editable=False,
    )
    email = models.EmailField(_("e-mail"), blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    id_card_number = models.CharField(_("ID card number"), max_length=40, blank=True)
    card_number = models.CharField(
        _("card number"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(CARD_NUMBER_PATTERN)],
    )
    device_pin = models.CharField(
        _("device PIN"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(DEVICE_PIN_PATTERN)],
        help_text=_("4 to 8 digits, typed on a device's keypad to verify."),
    )
    nationality = models.CharField(_("nationality"), max_length=60, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=60, blank=True)
    birth_place = models.CharField(_("place of birth"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    address = models.CharField(_("contact address"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    app_login_enabled = models.BooleanField(_("app login"), default=False)
    app_password = models.CharField(max_length=128, blank=True, editable=False)
    app_must_change_password = models.BooleanField(default=False, editable=False)
    photo = models.ForeignKey(
        Photo,
        verbose_name=_("face photo"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="persons",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["personnel_id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            # case-insensitive: "ab12" and "AB12" are one person on a device keypad
            models.UniqueConstraint(
                "enterprise", Lower("personnel_id"), name="people_person_unique_personnel_id"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "card_number"],
                condition=~models.Q(card_number=""),
                name="people_person_unique_card",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "category", "personnel_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.personnel_id})"

    @property
    def full_name(self) -> str:
        return self.join_name(self.first_name, self.last_name)

    @staticmethod
    def join_name(first_name: str, last_name: str) -> str:
        """The full name from its parts (also for rows read without a model instance)."""
        return " ".join(part for part in (first_name, last_name) if part)

    def can_verify(self, at: datetime | None = None) -> bool:
        """Whether devices should let this person verify now: enabled and inside the
        validity period (an expired person cannot verify)."""
        moment = at or timezone.now()
        if not self.is_enabled:
            return False
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_until is None or moment <= self.valid_until
