"""The `gatehouse` command.

`gatehouse run` is the embedded mode (SQLite, in-process worker, one process); `serve` and
`worker` are the production processes. Admin commands print secrets once and never log them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatehouse.core.actors import Actor

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatehouse.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _ensure_superadmin(username: str) -> None:
    from gatehouse.tenancy.services import ensure_superadmin

    password = os.environ.get("GATEHOUSE_ADMIN_PASSWORD") or None
    user, generated = ensure_superadmin(username, password)
    if generated:
        print("=" * 72)
        print("Gatehouse first run: platform super administrator created.")
        print(f"  username: {user.username}")
        print(f"  password: {generated}")
        print("This password is shown only now. Store it safely.")
        print("=" * 72, flush=True)


def _start_embedded(args: argparse.Namespace) -> None:
    os.environ.setdefault("GATEHOUSE_EMBEDDED", "1")
    _setup_django()
    _migrate(verbosity=0)
    _ensure_superadmin(args.admin_username)
    from gatehouse.core.jobs.worker import start_embedded_worker

    start_embedded_worker()


def cmd_run(args: argparse.Namespace) -> int:
    """Embedded mode: migrate, first-run admin, in-process worker and scheduler, one server."""
    _start_embedded(args)
    print(f"Gatehouse is running on http://{args.host}:{args.port}/", flush=True)
    return _serve(args.host, args.port, workers=1)


def cmd_demo(args: argparse.Namespace) -> int:
    """Embedded mode plus a demo enterprise and simulated devices producing events."""
    _start_embedded(args)
    from gatehouse.devices import demo

    setup = demo.prepare()
    url = f"http://{args.host}:{args.port}"
    print(f"Demo enterprise: {setup.enterprise_name}", flush=True)
    if setup.admin_password:
        print(f"  administrator: {setup.admin_username}")
        print(f"  password:      {setup.admin_password}  (shown only now)")
    else:
        print(f"  administrator: {setup.admin_username} (password shown on the first demo run)")
    print(f"Simulated devices: {', '.join(sn for sn, _dialect, _doors in demo.DEVICES)}")
    print(f"Gatehouse is running on {url}/", flush=True)
    stop = demo.start_devices(url, setup.pins)
    try:
        return _serve(args.host, args.port, workers=1)
    finally:
        stop.set()


def _serve(host: str, port: int, *, workers: int) -> int:
    import uvicorn

    uvicorn.run(
        "gatehouse.asgi:application",
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        proxy_headers=bool(os.environ.get("TRUSTED_PROXY_HEADER")),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        lifespan="off",
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Production ASGI server only (run workers separately with `gatehouse worker`)."""
    _setup_django()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    return _serve(args.host, args.port, workers=args.workers)


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from gatehouse.core.jobs.worker import run_worker

    return int(run_worker(threads=args.threads))


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    return 0


def cmd_createsuperadmin(args: argparse.Namespace) -> int:
    _setup_django()
    _ensure_superadmin(args.username)
    return 0


def _system_actor() -> Actor:
    from gatehouse.core.actors import Actor

    return Actor.system("command line")


def cmd_enterprise_create(args: argparse.Namespace) -> int:
    _setup_django()
    from gatehouse.core.errors import ServiceError
    from gatehouse.tenancy.services import create_enterprise

    try:
        enterprise, admin, password = create_enterprise(
            actor=_system_actor(),
            code=args.code,
            name=args.name,
            admin_username=args.admin,
        )
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"Enterprise {enterprise.code} created (id {enterprise.pk}).")
    print(f"Administrator {admin.username}, one-time password: {password}")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    _setup_django()
    from gatehouse.core.errors import ServiceError
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.tenancy.models import Enterprise, Group, Role
    from gatehouse.tenancy.services import create_user

    enterprise = Enterprise.objects.filter(code__iexact=args.enterprise).first()
    if enterprise is None:
        print(f"error: no enterprise with code {args.enterprise!r}", file=sys.stderr)
        return 2
    with tenant_scope(enterprise.pk):
        groups = Group.objects.filter(enterprise=enterprise)
        group = (
            groups.filter(name=args.group).first()
            if args.group
            else groups.filter(parent__isnull=True).first()
        )
        if group is None:
            print(f"error: no group {args.group!r} in {enterprise.code}", file=sys.stderr)
            return 2
        roles = list(Role.objects.filter(name__in=args.role or []))
        missing = set(args.role or []) - {r.name for r in roles}
        if missing:
            print(f"error: unknown roles: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
        password = (
            getpass.getpass("Password (empty: generate one): ") if args.ask_password else None
        )
        try:
            user, generated = create_user(
                actor=_system_actor(),
                group=group,
                username=args.username,
                password=password or None,
                is_group_admin=args.group_admin,
                roles=roles,
            )
        except ServiceError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
    print(f"User {user.username} created in {enterprise.code}/{group.name}.")
    if generated:
        print(f"One-time password (must be changed at first login): {generated}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup_django()
    from django.utils import timezone

    from gatehouse.core.errors import ServiceError
    from gatehouse.core.scoping import platform_scope
    from gatehouse.tenancy.models import User
    from gatehouse.tenancy.services import create_token

    with platform_scope():
        user = User.global_objects.filter(username__iexact=args.username).first()
        if user is None:
            print(f"error: no user {args.username!r}", file=sys.stderr)
            return 2
        expires = timezone.now() + timedelta(days=args.days) if args.days else None
        try:
            _token, secret = create_token(
                user,
                actor=_system_actor(),
                name=args.name,
                expires_at=expires,
            )
        except ServiceError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
    print(secret)
    return 0


def _device_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def cmd_device_approve(args: argparse.Namespace) -> int:
    """Approve a pending device as the operator at the server's console (the system actor),
    with the same checks as the API's approval."""
    _setup_django()
    from gatehouse.core.errors import ServiceError
    from gatehouse.core.scoping import platform_scope
    from gatehouse.devices import services
    from gatehouse.devices.api.serializers import ApprovalSerializer
    from gatehouse.devices.models import Device

    with platform_scope():
        device = Device.objects.filter(serial_number=args.serial_number).first()
        if device is None:
            return _device_error(
                f"no device with serial number {args.serial_number!r} has connected"
            )
        form = ApprovalSerializer(
            data={"enterprise": args.enterprise, "group": args.group or "", "name": args.name or ""}
        )
        if not form.is_valid():
            problems = [str(problem) for field in form.errors.values() for problem in field]
            return _device_error(" ".join(problems))
        try:
            device = services.approve_device(device, actor=_system_actor(), **form.validated_data)
        except ServiceError as exc:
            return _device_error(exc.message)
    print(
        f"Device {device.serial_number} approved for enterprise "
        f"{form.validated_data['enterprise'].code}, group {device.group}, as {device.name!r}. "
        "It is registered and synced at its next contact."
    )
    return 0


def cmd_device_list(args: argparse.Namespace) -> int:
    _setup_django()
    from gatehouse.core.scoping import platform_scope
    from gatehouse.devices import selectors
    from gatehouse.devices.models import Device

    with platform_scope():
        devices = (
            selectors.pending_devices()
            if args.pending
            else Device.objects.order_by("enterprise__code", "name", "serial_number")
        )
        rows = [
            (
                device.serial_number,
                device.status,
                device.enterprise.code if device.enterprise else "-",
                device.name or "-",
            )
            for device in devices.select_related("enterprise")
        ]
    if not rows:
        print("No devices are waiting for approval." if args.pending else "No devices.")
        return 0
    table = [("SERIAL NUMBER", "STATUS", "ENTERPRISE", "NAME"), *rows]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for row in table:
        padded = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        print("  ".join([*padded, row[3]]))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup_django()
    from gatehouse.audit.verify import verify_all

    problems = verify_all()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"System log verification FAILED: {len(problems)} problem(s).", file=sys.stderr)
        return 1
    print("System log verified: every chain is intact.")
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    """Write the OpenAPI schema (docs/openapi.yaml is the committed copy a test compares)."""
    _setup_django()
    from gatehouse.core.api.schema import write_schema

    problems = write_schema(args.path)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gatehouse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help_text: str,
        parent: argparse._SubParsersAction[argparse.ArgumentParser] | None = None,
    ) -> argparse.ArgumentParser:
        p = (parent or sub).add_parser(name, help=help_text)
        p.set_defaults(func=func)
        return p

    for name, func, help_text in (
        ("run", cmd_run, "embedded server: SQLite, in-process worker, one process"),
        ("demo", cmd_demo, "embedded server with a demo enterprise and simulated devices"),
    ):
        p = add(name, func, help_text)
        p.add_argument("--host", default=DEFAULT_HOST)
        p.add_argument("--port", type=int, default=DEFAULT_PORT)
        p.add_argument("--admin-username", default="admin")
    p = add("serve", cmd_serve, "ASGI server only (production)")
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--workers", type=int, default=1)
    p = add("worker", cmd_worker, "job worker and scheduler (production)")
    p.add_argument("--threads", type=int, default=1)
    add("migrate", cmd_migrate, "apply database migrations")
    p = add("createsuperadmin", cmd_createsuperadmin, "create the platform super administrator")
    p.add_argument("--username", default="admin")

    enterprise = sub.add_parser("enterprise", help="enterprises").add_subparsers(
        dest="sub", required=True
    )
    p = add(
        "create", cmd_enterprise_create, "create an enterprise and its administrator", enterprise
    )
    p.add_argument("code")
    p.add_argument("--name", required=True)
    p.add_argument("--admin", required=True, help="username of the enterprise administrator")

    user = sub.add_parser("user", help="users").add_subparsers(dest="sub", required=True)
    p = add("create", cmd_user_create, "create an enterprise user", user)
    p.add_argument("username")
    p.add_argument("--enterprise", required=True, help="enterprise code")
    p.add_argument("--group", help="group name (default: the top group)")
    p.add_argument("--role", action="append", help="role name (repeatable)")
    p.add_argument("--group-admin", action="store_true")
    p.add_argument("--ask-password", action="store_true")

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="sub", required=True)
    p = add("create", cmd_token_create, "create an API token and print it", token)
    p.add_argument("username")
    p.add_argument("--name", default="command line")
    p.add_argument("--days", type=int, default=0, help="expiry in days (0: none)")

    device = sub.add_parser("device", help="devices").add_subparsers(dest="sub", required=True)
    p = add("approve", cmd_device_approve, "assign a pending device to an enterprise", device)
    p.add_argument("serial_number", metavar="SN")
    p.add_argument("--enterprise", required=True, help="enterprise code")
    p.add_argument("--group", help="user group id or name (default: the top group)")
    p.add_argument("--name", help="device name (default: what the device reported)")
    p = add(
        "list", cmd_device_list, "list devices: serial number, status, enterprise, name", device
    )
    p.add_argument("--pending", action="store_true", help="only devices waiting for approval")

    p = add("openapi", cmd_openapi, "write the OpenAPI schema of REST API v1")
    p.add_argument("path", nargs="?", default="docs/openapi.yaml")

    audit = sub.add_parser("audit", help="system log").add_subparsers(dest="sub", required=True)
    add("verify", cmd_audit_verify, "verify the hash chains of the system log", audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
