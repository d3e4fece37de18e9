"""Objects for the leak matrix (tests/test_leak_matrix.py): for every model that an endpoint
serves, enterprise A must own at least one object that a-member may not see (in the top group
"Acme" or in "Sibling"), so that the matrix can prove B never sees it and a sub-group member
never sees it.

The cast already brings groups, users, roles and the log entries their services wrote. A new
model with a list or detail endpoint needs an entry in SAMPLE_MAKERS (keyed by model label);
until it has one, the matrix fails with "no enterprise-A sample of <model>". Give samples names
containing "LEAK-A-" (any case): the matrix looks for these names in every page and answer
that must not show the object. Makers for models that do not exist yet are simply unused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models

MARKER = "leak-a-"  # compared case-insensitively
SAMPLE_PASSWORD = "Quiet-Harbor-Lantern-73"

# A user in "Branch" holding every tenant permission: proves the group-tree rule on routes
# that need more than the cast's "A viewers" role.
BRANCH_ALL_USERNAME = "a-branch-all"


@dataclass
class World:
    """The cast plus what populate() added."""

    cast: Any
    top_group: Any
    extra_users: dict[str, Any] = field(default_factory=dict)


def actor_for(user: Any) -> Any:
    from gatehouse.core.actors import Actor

    return Actor.for_user(user)


# --- makers: one per model label --------------------------------------------------------------


def make_groups(world: World) -> None:
    from gatehouse.tenancy import services

    admin = world.cast.a_admin
    services.create_group(actor=actor_for(admin), parent=world.top_group, name="LEAK-A-group-top")
    services.create_group(
        actor=actor_for(admin), parent=world.cast.a_sibling_group, name="LEAK-A-group-sibling"
    )


def make_users(world: World) -> None:
    from gatehouse.tenancy import services

    admin = world.cast.a_admin
    for group, place in ((world.top_group, "top"), (world.cast.a_sibling_group, "sibling")):
        services.create_user(
            actor=actor_for(admin),
            group=group,
            username=f"leak-a-user-{place}",
            full_name=f"LEAK-A-user-{place} full name",
            email=f"leak-a-user-{place}@example.com",
            password=SAMPLE_PASSWORD,
            roles=[world.cast.a_role],
        )


def make_roles(world: World) -> None:
    """Roles are enterprise-wide (a-member may see them): they serve the B check only."""
    from gatehouse.tenancy import services

    services.create_role(
        actor=actor_for(world.cast.a_admin),
        enterprise_id=world.cast.enterprise_a.pk,
        name="LEAK-A-role",
        permissions=["tenancy.view"],
    )


def make_tokens(world: World) -> None:
    from gatehouse.tenancy import services

    admin = world.cast.a_admin
    services.create_token(admin, actor=actor_for(admin), name="LEAK-A-token-top")


def make_log_entries(world: World) -> None:
    """Nothing to add: every maker above writes log entries through the services (in the top
    group and in Sibling), and so does the cast."""


def make_departments(world: World) -> None:
    """Departments are enterprise-wide like roles (a-member may see them): they serve the B
    check only."""
    from gatehouse.people import services

    top = services.create_department(
        actor=actor_for(world.cast.a_admin),
        enterprise_id=world.cast.enterprise_a.pk,
        name="LEAK-A-department",
    )
    services.create_department(
        actor=actor_for(world.cast.a_admin),
        enterprise_id=world.cast.enterprise_a.pk,
        name="LEAK-A-department-child",
        parent=top,
    )


def make_person_groups(world: World) -> None:
    from gatehouse.people import services
    from gatehouse.people.models import Category

    admin = world.cast.a_admin
    for group, place in ((world.top_group, "top"), (world.cast.a_sibling_group, "sibling")):
        services.create_person_group(
            actor=actor_for(admin),
            group=group,
            category=Category.EMPLOYEE,
            name=f"LEAK-A-grouping-{place}",
        )


def make_persons(world: World) -> None:
    """One person of each category in the top group and in Sibling; the first (by personnel ID,
    the order the matrix's positive control takes) has a face photo, so that the photo routes
    answer 200 to a-admin and must answer 404 to everyone else."""
    from gatehouse.people import services
    from gatehouse.people.models import Category
    from tests import face_images

    admin = actor_for(world.cast.a_admin)
    places = ((world.top_group, "top"), (world.cast.a_sibling_group, "sibling"))
    for number, (category, (group, place)) in enumerate(
        ((c, p) for p in places for c in Category), start=1
    ):
        person = services.create_person(
            actor=admin,
            group=group,
            category=category,
            personnel_id=f"LEAKA{number:03d}",
            first_name=f"LEAK-A-{category}-{place}",
            last_name=f"LEAK-A-surname-{category}-{place}",
            email=f"leak-a-{category}-{place}@example.com",
        )
        if category == Category.EMPLOYEE:
            portrait = "obama.jpg" if place == "top" else "biden.jpg"
            services.set_photo(person, actor=admin, data=face_images.portrait(portrait))
    # In Branch, so a-member sees it: the same face as the top group's employee, whose name
    # the duplicate-face warning must not carry into what Branch can read.
    branch = services.create_person(
        actor=admin,
        group=world.cast.a_sub_group,
        personnel_id="LEAKA100",
        first_name="Branch employee",
    )
    services.set_photo(branch, actor=admin, data=face_images.portrait("obama3.jpg"))


_job_runner: type[Any] | None = None


def make_jobs(world: World) -> None:
    from gatehouse.core.jobs.base import JobRunner, enqueue

    global _job_runner  # noqa: PLW0603 - a job kind may be declared only once per process
    if _job_runner is None:

        class LeakSampleJob(JobRunner):
            kind = "tests.leak_sample"
            title = "Leak matrix sample"

            def run(self, ctx: Any) -> None:
                """Never runs: the sample only has to exist."""

        _job_runner = LeakSampleJob
    admin = world.cast.a_admin
    places = ((world.top_group.path, "top"), (world.cast.a_sibling_group.path, "sibling"))
    for path, place in places:
        job = enqueue(
            _job_runner,
            actor=actor_for(admin),
            enterprise_id=world.cast.enterprise_a.pk,
            group_path=path,
            title=f"LEAK-A-job-{place}",
        )
        # A result file, so that a leaking download route answers 200 instead of "no file".
        job.result_file.save(
            f"leak-a-{place}.txt", ContentFile(f"LEAK-A-result-{place}".encode()), save=False
        )
        job.result_name = f"LEAK-A-result-{place}.txt"
        job.save(update_fields=["result_file", "result_name"])


# --- devices: the device makers below need A's sample devices, so "devices.device" comes first


POOL_SERIAL = "LEAK-A-POOL-1"  # pending: the platform's, seen by no enterprise user


def _sample_places(world: World) -> tuple[tuple[Any, str], ...]:
    return ((world.top_group, "top"), (world.cast.a_sibling_group, "sibling"))


def make_devices(world: World) -> None:
    """An approved device in the top group and one in Sibling, and one left in the
    platform's pending pool (enterprise A's administrator must not see it either)."""
    from gatehouse.core.actors import Actor
    from gatehouse.devices import services

    for group, place in _sample_places(world):
        device = services.note_contact(f"LEAKA{place.upper()}", driver="zkpush", dialect="acc")
        services.approve_device(
            device,
            actor=Actor.system("leak samples"),
            enterprise=world.cast.enterprise_a,
            group=group,
            name=f"LEAK-A-device-{place}",
        )
    services.note_contact(POOL_SERIAL, driver="zkpush", dialect="acc")


def _sample_devices(world: World) -> list[tuple[Any, str]]:
    from gatehouse.devices.models import Device

    devices = Device.objects.select_related("group").filter(
        enterprise=world.cast.enterprise_a, serial_number__in=["LEAKATOP", "LEAKASIBLING"]
    )
    return [(device, device.serial_number.removeprefix("LEAKA").lower()) for device in devices]


def make_device_groups(world: World) -> None:
    from gatehouse.devices import services

    for group, place in _sample_places(world):
        services.create_device_group(
            actor=actor_for(world.cast.a_admin), group=group, name=f"LEAK-A-devgroup-{place}"
        )


def make_device_commands(world: World) -> None:
    from gatehouse.devices import services

    for device, _place in _sample_devices(world):
        services.run_operation([device], "device.reboot", actor=actor_for(world.cast.a_admin))


def make_device_events(world: World) -> None:
    from datetime import datetime

    from gatehouse.devices import ingest

    when = datetime(2025, 3, 1, 8, 30)  # noqa: DTZ001 - a device's wall clock
    for device, place in _sample_devices(world):
        row = ingest.EventRow(
            local_time=when, identity=place, event_code=0, pin=f"LEAK-A-pin-{place}"
        )
        ingest.store_events(device, [row])


def make_operation_logs(world: World) -> None:
    from datetime import datetime

    from gatehouse.devices import ingest

    when = datetime(2025, 3, 1, 8, 30)  # noqa: DTZ001 - a device's wall clock
    for device, place in _sample_devices(world):
        row = ingest.OperationRow(
            local_time=when, operation=0, administrator=f"LEAK-A-oplog-{place}"
        )
        ingest.store_operation_logs(device, [row])


def make_firmware_packages(world: World) -> None:
    """Packages are enterprise-wide (a-member may see them): they serve the B check only."""
    import io

    from gatehouse.devices import services

    services.upload_package(
        actor=actor_for(world.cast.a_admin),
        enterprise_id=world.cast.enterprise_a.pk,
        name="LEAK-A-package",
        version="1.0",
        upload=io.BytesIO(b"LEAK-A package bytes"),
    )


SAMPLE_MAKERS: dict[str, Callable[[World], None]] = {
    "tenancy.group": make_groups,
    "tenancy.user": make_users,
    "tenancy.role": make_roles,
    "tenancy.apitoken": make_tokens,
    "audit.logentry": make_log_entries,
    "core.job": make_jobs,
    "people.department": make_departments,
    "people.persongroup": make_person_groups,
    "people.person": make_persons,
    # before the devices: its log entry has no group (only the super administrator sees it),
    # and the audit routes' positive control reads A's newest marked entry
    "devices.firmwarepackage": make_firmware_packages,
    "devices.device": make_devices,
    "devices.devicegroup": make_device_groups,
    "devices.devicecommand": make_device_commands,
    "devices.deviceevent": make_device_events,
    "devices.operationlog": make_operation_logs,
}

# How to tell which enterprise owns an object, when the model has no `enterprise` field.
ENTERPRISE_LOOKUPS: dict[str, str] = {
    "tenancy.enterprise": "pk",
    "tenancy.apitoken": "user__enterprise",
}


def _own_tokens(user: Any) -> models.QuerySet[Any]:
    from gatehouse.tenancy.models import ApiToken

    return ApiToken.objects.filter(user=user)


def _own_enterprise(user: Any) -> models.QuerySet[Any]:
    from gatehouse.tenancy.models import Enterprise

    return Enterprise.objects.filter(pk=user.enterprise_id)


# What a user may see of models whose manager has no `visible_to` (called inside the user's
# tenant scope). Models with `visible_to` need no entry.
VISIBLE_TO: dict[str, Callable[[Any], models.QuerySet[Any]]] = {
    "tenancy.apitoken": _own_tokens,
    "tenancy.enterprise": _own_enterprise,
}


# Routes the matrix cannot check by itself (URL arguments other than `pk`, no model), by URL
# name, with the reason and where their isolation is tested instead.
_PEOPLE = "tested in src/gatehouse/people/tests/test_isolation.py"
UNCHECKED_ROUTES: dict[str, str] = {
    "people:person_add": f"URL argument `category`; placements offered and accepted {_PEOPLE}",
    "people:person_import": f"URL argument `category`; groups offered and accepted {_PEOPLE}",
    "people:portrait_import": f"URL argument `category`; photos reach visible persons {_PEOPLE}",
    "people:person_export": f"URL argument `category`; the persons in the file {_PEOPLE}",
    "person-import-persons": f"POST only (starts a job); refused groups {_PEOPLE}",
    "person-import-portraits": f"POST only (starts a job); photos reach visible persons {_PEOPLE}",
    # the two below are discovered as JSON lists; skipping them needs the matrix to honour
    # this table for discovered routes too (ROUTES), see the people API report
    "person-export": f"a spreadsheet, not JSON: no ids, compressed text {_PEOPLE}",
    "person-import-template": f"a fixed spreadsheet without tenant data {_PEOPLE}",
    "device-move": "POST only; devices and device groups of others are refused as not "
    "existing, tested in src/gatehouse/devices/tests/test_api.py",
}


def model_exists(label: str) -> bool:
    try:
        apps.get_model(label)
    except (LookupError, ValueError):
        return False
    return True


def populate(cast: Any) -> World:
    """Run every maker whose model exists, inside enterprise A's scope."""
    from gatehouse.core.permissions import all_codenames
    from gatehouse.core.scoping import platform_scope, tenant_scope
    from gatehouse.tenancy import services
    from gatehouse.tenancy.models import Group, User

    with platform_scope():
        top = Group.objects.get(pk=cast.a_admin.group_id)
    world = World(cast=cast, top_group=top)
    with tenant_scope(cast.enterprise_a.pk):
        everything = services.create_role(
            actor=actor_for(cast.a_admin),
            enterprise_id=cast.enterprise_a.pk,
            name="Branch: every permission",
            permissions=sorted(all_codenames()),
        )
        user, _ = services.create_user(
            actor=actor_for(cast.a_admin),
            group=cast.a_sub_group,
            username=BRANCH_ALL_USERNAME,
            password=SAMPLE_PASSWORD,
            roles=[everything],
        )
        for label, maker in SAMPLE_MAKERS.items():
            if model_exists(label):
                maker(world)
    with platform_scope():
        world.extra_users[BRANCH_ALL_USERNAME] = User.global_objects.get(pk=user.pk)
    return world
