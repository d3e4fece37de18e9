"""First run: secrets are generated into a private file (never hard-coded), and the super
administrator gets a random password printed once."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gatehouse import cli
from gatehouse.core.scoping import platform_scope
from gatehouse.core.secrets_file import SECRET_NAMES, load_or_create
from gatehouse.tenancy.models import ApiToken, Enterprise, User


def test_secrets_file_is_generated_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = load_or_create(path)
    assert set(first) == set(SECRET_NAMES)
    assert all(len(value) >= 48 for value in first.values())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path) == first  # a restart keeps the same keys
    other = load_or_create(tmp_path / "other.json")
    assert other["SECRET_KEY"] != first["SECRET_KEY"]  # every installation has its own


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_SECRET_KEY", "from-the-secret-store")
    assert load_or_create(tmp_path / "s.json")["SECRET_KEY"] == "from-the-secret-store"
    stored = json.loads((tmp_path / "s.json").read_text())
    assert stored["SECRET_KEY"] != "from-the-secret-store"


@pytest.mark.django_db
def test_createsuperadmin_prints_a_random_password_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["createsuperadmin", "--username", "boss"]) == 0
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    assert len(password) >= 20
    with platform_scope():
        assert User.global_objects.get(username="boss").check_password(password)
    assert cli.main(["createsuperadmin", "--username", "boss"]) == 0
    assert "password" not in capsys.readouterr().out  # never shown again


@pytest.mark.django_db
def test_admin_password_can_come_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEHOUSE_ADMIN_PASSWORD", "Quiet-Harbour-2031")
    assert cli.main(["createsuperadmin"]) == 0
    assert "Quiet-Harbour-2031" not in capsys.readouterr().out
    with platform_scope():
        assert User.global_objects.get(username="admin").check_password("Quiet-Harbour-2031")


@pytest.mark.django_db
def test_cli_creates_enterprise_user_and_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["enterprise", "create", "acme", "--name", "Acme", "--admin", "boss"]) == 0
    assert "one-time password" in capsys.readouterr().out
    assert cli.main(["user", "create", "desk", "--enterprise", "acme", "--group-admin"]) == 0
    assert "One-time password" in capsys.readouterr().out
    assert cli.main(["token", "create", "desk", "--days", "30"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("gh_")
    with platform_scope():
        token = ApiToken.objects.get(user__username="desk")
        assert token.key_hash != secret
        assert secret not in token.key_hash
        assert token.expires_at is not None
        assert Enterprise.objects.filter(code="acme").exists()


@pytest.mark.django_db
def test_cli_reports_errors_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["user", "create", "x", "--enterprise", "nope"]) == 2
    assert "no enterprise with code 'nope'" in capsys.readouterr().err
    assert cli.main(["token", "create", "ghost"]) == 2
    assert "no user 'ghost'" in capsys.readouterr().err
