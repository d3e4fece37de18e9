"""The console WebSocket, end to end: a real session cookie, the real ASGI application (origin
check, session auth, routing), the configured channel layer (in-memory, or Redis pub/sub when
REDIS_URL is set) and events published by real service writes after commit.

`channels.testing` imports daphne (not a dependency), so a minimal communicator on asgiref's
ApplicationCommunicator speaks the WebSocket side of ASGI here. Async bodies run through
`async_to_sync`: the synchronous service calls inside them (`sync_to_async`) then run on the
test's own thread and database connection."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from asgiref import testing as asgi_testing
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.test import Client

from gatehouse.asgi import application
from gatehouse.core.actors import Actor
from gatehouse.core.events import publish
from gatehouse.core.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, socket_language
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.tenancy import services
from gatehouse.tenancy.models import Group, User

pytestmark = pytest.mark.django_db(transaction=True)

COMMUNICATOR: Any = asgi_testing.ApplicationCommunicator  # asgiref ships no types for it
QUIET = 0.3  # seconds a socket must stay silent to count as "got nothing"
FRAME_TIMEOUT = 3.0


class Socket:
    """The browser side of /ws/console/."""

    def __init__(self, headers: list[tuple[bytes, bytes]], path: str = "/ws/console/") -> None:
        self.asgi = COMMUNICATOR(
            application,
            {
                "type": "websocket",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers,
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("localhost", 80),
            },
        )

    async def open(self) -> tuple[bool, int | None]:
        """(True, None) when accepted, (False, close code) when refused."""
        await self.asgi.send_input({"type": "websocket.connect"})
        reply = await self.asgi.receive_output(FRAME_TIMEOUT)
        if reply["type"] == "websocket.close":
            return False, reply.get("code", 1000)
        assert reply["type"] == "websocket.accept", reply
        return True, None

    async def frame(self) -> dict[str, Any]:
        reply = await self.asgi.receive_output(FRAME_TIMEOUT)
        assert reply["type"] == "websocket.send", reply
        data: dict[str, Any] = json.loads(reply["text"])
        return data

    async def all_frames(self) -> list[dict[str, Any]]:
        """Every frame until the socket has been quiet for a moment."""
        frames = []
        while not await self.silent():
            frames.append(await self.frame())
        return frames

    async def silent(self) -> bool:
        return bool(await self.asgi.receive_nothing(timeout=QUIET, interval=0.02))

    async def send_text(self, text: str) -> None:
        await self.asgi.send_input({"type": "websocket.receive", "text": text})

    async def close(self) -> None:
        await self.asgi.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.asgi.wait(FRAME_TIMEOUT)


def headers_for(
    client: Client | None, origin: bytes = b"http://localhost"
) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if client is not None:
        name = settings.SESSION_COOKIE_NAME
        cookie = f"{name}={client.cookies[name].value}"
        headers.insert(0, (b"cookie", cookie.encode()))
    return headers


def run(body: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(body)()


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Argon2 costs ~0.3 s per hash; these tests are about sockets, not password storage."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_layer(settings: Any) -> Iterator[None]:
    """Each test starts with an empty channel layer (no groups left by an earlier test). On
    Redis, a private prefix: pub/sub ignores database numbers, so test runs sharing a server
    would otherwise hear each other's "enterprise.<id>" groups."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    config = layers["default"].get("CONFIG")
    if config is not None and "hosts" in config:
        config["prefix"] = f"gatehouse-test-{uuid4().hex[:12]}"
        settings.CHANNEL_LAYERS = layers
    layer = get_channel_layer()
    assert layer is not None
    if hasattr(layer, "flush"):
        async_to_sync(layer.flush)()
    yield
    if hasattr(layer, "flush"):
        async_to_sync(layer.flush)()


def new_group(actor_user: Any, parent: Group, name: str) -> Group:
    """A committed service write in the parent's enterprise: publishes tenancy.group.created."""
    with tenant_scope(parent.enterprise_id):
        return services.create_group(actor=Actor.for_user(actor_user), parent=parent, name=name)


def top_group(cast: Any) -> Group:
    with platform_scope():
        group: Group = Group.objects.get(pk=cast.a_admin.group_id)
    return group


def test_an_anonymous_socket_is_closed_with_4401(cast: Any) -> None:
    async def body() -> None:
        socket = Socket(headers_for(None))
        assert await socket.open() == (False, CLOSE_UNAUTHENTICATED)

    run(body)


def test_a_socket_from_a_foreign_origin_is_refused(cast: Any, client_for: Any) -> None:
    client = client_for("a-admin")

    async def body() -> None:
        socket = Socket(headers_for(client, origin=b"https://evil.example"))
        accepted, _code = await socket.open()
        assert not accepted

    run(body)


def test_a_user_with_a_one_time_password_cannot_listen(cast: Any, client_for: Any) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        _user, one_time = services.create_user(
            actor=Actor.for_user(cast.a_admin),
            group=cast.a_sub_group,
            username="a-new",
            roles=[cast.a_role],
        )
    assert one_time
    client = client_for("a-new", one_time)

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (False, CLOSE_FORBIDDEN)

    run(body)


def test_a_socket_is_refused_once_its_user_is_disabled(cast: Any, client_for: Any) -> None:
    client = client_for("a-member")
    with platform_scope():
        User.global_objects.filter(pk=cast.a_member.pk).update(is_active=False)

    async def body() -> None:
        socket = Socket(headers_for(client))
        accepted, code = await socket.open()
        assert not accepted
        assert code in {CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN}

    run(body)


def test_an_event_arrives_after_commit_with_its_label(cast: Any, client_for: Any) -> None:
    client = client_for("a-admin")
    top = top_group(cast)

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (True, None)
        group = await sync_to_async(new_group)(cast.a_admin, top, "Warehouse")
        frame = await socket.frame()
        assert frame["event"] == "tenancy.group.created"
        assert frame["label"] == "Group created"
        assert frame["enterprise_id"] == cast.enterprise_a.pk
        assert frame["payload"]["object"] == "Warehouse"
        assert frame["payload"]["object_id"] == str(group.pk)
        assert frame["payload"]["actor"] == "a-admin"
        await socket.close()

    run(body)


def test_a_rolled_back_write_sends_nothing(cast: Any, client_for: Any) -> None:
    client = client_for("a-admin")
    top = top_group(cast)

    class RollbackError(Exception):
        pass

    def write_then_roll_back() -> None:
        with contextlib.suppress(RollbackError), transaction.atomic():
            new_group(cast.a_admin, top, "Never")
            raise RollbackError

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (True, None)
        await sync_to_async(write_then_roll_back)()
        assert await socket.silent()
        # The socket works: the next committed write is the first frame it sees.
        await sync_to_async(new_group)(cast.a_admin, top, "Committed")
        frame = await socket.frame()
        assert frame["payload"]["object"] == "Committed"
        await socket.close()

    run(body)
    with platform_scope():
        assert not Group.objects.filter(name="Never").exists()


def test_a_member_hears_only_its_own_subtree(cast: Any, client_for: Any) -> None:
    client = client_for("a-member")
    top = top_group(cast)

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (True, None)
        write = sync_to_async(new_group)
        await write(cast.a_admin, top, "Above")  # the top group: not for a-member
        await write(cast.a_admin, cast.a_sibling_group, "Beside")  # Sibling: not for a-member
        await sync_to_async(_role_write)(cast)  # enterprise-wide (top group): not for a-member
        await write(cast.a_admin, cast.a_sub_group, "Below")  # inside Branch: for a-member
        frame = await socket.frame()
        assert frame["event"] == "tenancy.group.created"
        assert frame["payload"]["object"] == "Below"
        assert await socket.silent()
        await socket.close()

    run(body)


def _role_write(cast: Any) -> None:
    with tenant_scope(cast.enterprise_a.pk):
        services.create_role(
            actor=Actor.for_user(cast.a_admin),
            enterprise_id=cast.enterprise_a.pk,
            name="Door staff",
            permissions=["tenancy.view"],
        )


def test_enterprise_b_never_hears_enterprise_a(cast: Any, client_for: Any) -> None:
    client = client_for("b-admin")
    top = top_group(cast)
    with platform_scope():
        b_top = Group.objects.get(pk=cast.b_admin.group_id)

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (True, None)
        write = sync_to_async(new_group)
        await write(cast.a_admin, top, "A only")
        await write(cast.a_admin, cast.a_sub_group, "A branch only")
        await sync_to_async(_role_write)(cast)
        await write(cast.b_admin, b_top, "B news")
        frame = await socket.frame()
        assert frame["payload"]["object"] == "B news"
        assert frame["enterprise_id"] == cast.enterprise_b.pk
        assert await socket.silent()
        await socket.close()

    run(body)


def test_the_super_administrator_hears_platform_and_enterprise_events(
    cast: Any, client_for: Any
) -> None:
    client = client_for("root")

    def platform_write() -> None:
        with platform_scope():
            services.create_enterprise(
                actor=Actor.for_user(cast.superadmin),
                code="cobalt",
                name="Cobalt",
                admin_username="c-admin",
            )

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (True, None)
        await sync_to_async(platform_write)()
        frames = await socket.all_frames()
        created = [f for f in frames if f["event"] == "tenancy.enterprise.created"]
        assert len(created) == 1
        assert created[0]["label"] == "Enterprise created"
        assert created[0]["enterprise_id"] is None
        assert created[0]["payload"]["object"] == "Cobalt"
        await sync_to_async(new_group)(cast.a_admin, cast.a_sub_group, "Seen by root")
        frame = await socket.frame()
        assert frame["payload"]["object"] == "Seen by root"
        await socket.close()

    run(body)


def test_an_event_without_a_label_shows_its_dotted_name(cast: Any, client_for: Any) -> None:
    client = client_for("a-member")

    def emit() -> None:
        with transaction.atomic():
            publish(
                "tenancy.something.unlabelled",
                enterprise_id=cast.enterprise_a.pk,
                payload={"object": "x"},
                group_path=cast.a_sub_group.path,
            )

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (True, None)
        await sync_to_async(emit)()
        frame = await socket.frame()
        assert frame["event"] == "tenancy.something.unlabelled"
        assert frame["label"] == "tenancy.something.unlabelled"
        await socket.close()

    run(body)


def test_an_event_without_a_group_path_reaches_no_enterprise_user(
    cast: Any, client_for: Any
) -> None:
    """Fail closed: an enterprise event that does not say where it belongs is not forwarded
    to group members (the super administrator still sees it)."""
    member = client_for("a-member")
    admin = client_for("a-admin")

    def emit(name: str, path: str) -> None:
        with transaction.atomic():
            publish(name, enterprise_id=cast.enterprise_a.pk, payload={}, group_path=path)

    async def body() -> None:
        sockets = [Socket(headers_for(member)), Socket(headers_for(admin))]
        for socket in sockets:
            assert await socket.open() == (True, None)
        await sync_to_async(emit)("tenancy.nowhere.happened", "")
        await sync_to_async(emit)("tenancy.branch.happened", cast.a_sub_group.path)
        for socket in sockets:
            frame = await socket.frame()
            assert frame["event"] == "tenancy.branch.happened"
            await socket.close()

    run(body)


def test_messages_from_the_browser_are_ignored(cast: Any, client_for: Any) -> None:
    client = client_for("a-admin")

    async def body() -> None:
        socket = Socket(headers_for(client))
        assert await socket.open() == (True, None)
        await socket.send_text('{"event": "x"}')
        assert await socket.silent()
        await socket.close()

    run(body)


@pytest.mark.parametrize(
    ("user_language", "cookie", "accept", "expected"),
    [
        ("fr", "", "", "fr"),
        ("", "es", "it", "es"),
        ("", "", "pt-BR,pt;q=0.9", "pt"),
        ("", "", "xx", "en"),
    ],
)
def test_the_label_language_follows_the_user_then_the_browser(
    user_language: str, cookie: str, accept: str, expected: str
) -> None:
    user = User(username="u", language=user_language)
    scope: dict[str, Any] = {
        "cookies": {settings.LANGUAGE_COOKIE_NAME: cookie} if cookie else {},
        "headers": [(b"accept-language", accept.encode())] if accept else [],
    }
    assert socket_language(scope, user) == expected
