"""`gatehouse device approve` and `gatehouse device list`: the operator at the server's
console assigns pending devices (as the system actor) and sees the registry."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse import cli
from gatehouse.audit.models import LogEntry
from gatehouse.core.scoping import platform_scope
from gatehouse.devices import services
from gatehouse.devices.models import Device

pytestmark = pytest.mark.django_db


def device(serial_number: str) -> Device:
    with platform_scope():
        found: Device = Device.objects.select_related("group").get(serial_number=serial_number)
    return found


def test_a_pending_device_is_approved_into_a_group_with_a_name(
    cast: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    services.note_contact("CLI-1", driver="zkpush", dialect="acc")
    argv = ["device", "approve", "CLI-1", "--enterprise", "ACME", "--group", "branch"]
    assert cli.main([*argv, "--name", "Lobby"]) == 0

    out = capsys.readouterr().out
    assert "Device CLI-1 approved for enterprise acme, group Branch, as 'Lobby'" in out
    approved = device("CLI-1")
    assert (approved.enterprise_id, approved.group_id, approved.name) == (
        cast.enterprise_a.pk,
        cast.a_sub_group.pk,
        "Lobby",
    )
    assert approved.device_group is not None
    assert approved.device_group.is_default
    with platform_scope():
        entry = LogEntry.objects.get(action="devices.device.approved")
    assert (entry.actor_kind, entry.actor_label, entry.enterprise_id) == (
        LogEntry.ActorKind.SYSTEM,
        "command line",
        cast.enterprise_a.pk,
    )


def test_without_a_group_the_device_goes_to_the_top_group(
    cast: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    services.note_contact("CLI-1", driver="zkpush", dialect="acc")
    assert cli.main(["device", "approve", "CLI-1", "--enterprise", "bolt"]) == 0
    approved = device("CLI-1")
    assert (approved.enterprise_id, approved.group_id, approved.name) == (
        cast.enterprise_b.pk,
        cast.b_admin.group_id,
        "CLI-1",
    )
    assert "as 'CLI-1'" in capsys.readouterr().out


def test_a_group_is_also_found_by_its_id(cast: Any) -> None:
    services.note_contact("CLI-1", driver="zkpush", dialect="acc")
    group_id = str(cast.a_sibling_group.pk)
    assert (
        cli.main(["device", "approve", "CLI-1", "--enterprise", "acme", "--group", group_id]) == 0
    )
    assert device("CLI-1").group_id == cast.a_sibling_group.pk


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["NOPE-9", "--enterprise", "acme"], "no device with serial number 'NOPE-9'"),
        (["CLI-1", "--enterprise", "nope"], "There is no enterprise with the code or id nope."),
        (["CLI-1", "--enterprise", "acme", "--group", "Attic"], "acme has no group Attic."),
        # a group of Bolt is no place in Acme, even by its id
        (["CLI-1", "--enterprise", "acme", "--group", "BOLT_GROUP"], "acme has no group"),
    ],
)
def test_an_unknown_device_enterprise_or_group_is_a_clear_error(
    cast: Any, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    services.note_contact("CLI-1", driver="zkpush", dialect="acc")
    argv = [str(cast.b_admin.group_id) if arg == "BOLT_GROUP" else arg for arg in argv]
    assert cli.main(["device", "approve", *argv]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert words in captured.err
    assert device("CLI-1").is_pending


def test_an_approved_device_is_not_approved_again(
    cast: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    services.note_contact("CLI-1", driver="zkpush", dialect="acc")
    assert cli.main(["device", "approve", "CLI-1", "--enterprise", "acme"]) == 0
    capsys.readouterr()
    assert cli.main(["device", "approve", "CLI-1", "--enterprise", "bolt"]) == 1
    assert "already assigned to an enterprise" in capsys.readouterr().err
    assert device("CLI-1").enterprise_id == cast.enterprise_a.pk


def test_the_list_shows_serial_status_enterprise_and_name(
    cast: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["device", "list", "--pending"]) == 0
    assert capsys.readouterr().out == "No devices are waiting for approval.\n"

    services.note_contact("NEW-2", driver="zkpush", dialect="acc")
    services.note_contact("CLI-1", driver="zkpush", dialect="acc")
    assert cli.main(["device", "approve", "CLI-1", "--enterprise", "acme", "--name", "Gate"]) == 0
    capsys.readouterr()

    assert cli.main(["device", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["SERIAL", "NUMBER", "STATUS", "ENTERPRISE", "NAME"]
    rows = sorted(line.split() for line in lines[1:])
    assert rows == [["CLI-1", "online", "acme", "Gate"], ["NEW-2", "pending", "-", "-"]]

    assert cli.main(["device", "list", "--pending"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines[1:]] == [["NEW-2", "pending", "-", "-"]]
