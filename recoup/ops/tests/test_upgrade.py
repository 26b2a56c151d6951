"""recoup upgrade, and the processes that refuse to start on a schema that is not the code's, or a bad base URL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from recoup.ops.schema import schema_problem, schema_state
from recoup.ops.startup import base_url_problems


@pytest.fixture
def newer_database(db):
    """A newer version upgraded this database: it records a migration this code does not have."""
    MigrationRecorder(connection).record_applied("ledger", "9999_from_a_newer_version")


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker", "--batch"], ["scheduler", "--once"],
                                     ["upgrade"]])
def test_no_process_starts_on_a_database_newer_than_the_code(newer_database, command):
    with pytest.raises(CommandError) as refused:
        call_command(*command, stdout=io.StringIO())
    assert "the database is newer than this code" in str(refused.value)
    assert "ledger.9999_from_a_newer_version" in str(refused.value)


def test_migrations_of_an_app_the_code_no_longer_has_are_not_newer(db):
    MigrationRecorder(connection).record_applied("retired_app", "0001_initial")
    assert schema_state().current


def test_a_database_behind_the_code_says_run_recoup_upgrade(db):
    MigrationRecorder(connection).migration_qs.filter(app="ops").delete()
    state = schema_state()
    assert state.pending == ("ops.0001_heartbeat",) and not state.newer
    assert schema_problem(state).endswith("run `recoup upgrade`")
    with pytest.raises(CommandError, match="run `recoup upgrade`"):
        call_command("worker", "--batch")


@pytest.mark.django_db(transaction=True)
def test_upgrade_takes_a_backup_then_applies_the_migrations(settings, tmp_path, org_a):
    settings.RECOUP_BACKUP_DIR = tmp_path / "backups"
    call_command("migrate", "ops", "zero", verbosity=0)  # as a version before heartbeats left it
    try:
        assert schema_state().pending == ("ops.0001_heartbeat",)
        out = io.StringIO()
        call_command("upgrade", stdout=out)
    finally:
        call_command("migrate", verbosity=0)
    backups = list(Path(settings.RECOUP_BACKUP_DIR).glob("recoup-upgrade-*.tar.gz"))
    assert len(backups) == 1 and f"backup written to {backups[0]}" in out.getvalue()
    assert "1 migration(s) applied" in out.getvalue() and schema_state().current


@pytest.mark.django_db(transaction=True)
def test_upgrade_refuses_while_workers_still_run(settings, tmp_path):
    from recoup.ops.heartbeats import beat

    settings.RECOUP_BACKUP_DIR = tmp_path
    beat(kind="worker", name="host-b:4242")
    with pytest.raises(CommandError, match="stop the workers and schedulers first .*worker host-b:4242"):
        call_command("upgrade", stdout=io.StringIO())
    assert not list(tmp_path.iterdir())


def test_upgrade_without_a_working_backup_does_not_migrate(settings, db, monkeypatch):
    from recoup.ops.management.commands import upgrade

    def full_disk(**kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(upgrade, "backup_create", full_disk)
    migrated = []
    monkeypatch.setattr(upgrade, "call_command", lambda *a, **kw: migrated.append(a))
    with pytest.raises(CommandError, match="no upgrade without a backup.*No space left"):
        call_command("upgrade", stdout=io.StringIO())
    assert migrated == []


@pytest.mark.parametrize("url, https, hosts, problem", [
    ("https://recoup.example.com", True, ["recoup.example.com"], None),
    ("http://127.0.0.1:8000", False, ["127.0.0.1", "localhost"], None),
    ("https://pay.example.com:8443", True, [".example.com"], None),
    ("recoup.example.com", False, ["recoup.example.com"], "must be an absolute http:// or https:// address"),
    ("ftp://recoup.example.com", False, ["recoup.example.com"], "must be an absolute http:// or https://"),
    ("https://recoup.example.com/recoup/", True, ["recoup.example.com"], "Recoup is served at the root"),
    ("http://recoup.example.com", True, ["recoup.example.com"], "is http:// but RECOUP_HTTPS is on"),
    ("https://recoup.example.com", True, ["other.example.com"], "is not in RECOUP_ALLOWED_HOSTS"),
    ("https://recoup.example.com:port", True, ["recoup.example.com"], "is not a URL"),
])
def test_the_base_url_is_checked(url, https, hosts, problem):
    found = base_url_problems(url, https=https, allowed_hosts=hosts)
    assert (found == []) if problem is None else (problem in " ".join(found))


def test_serve_refuses_a_base_url_debtors_cannot_use(db, settings):
    settings.RECOUP_BASE_URL = "http://recoup.example.com"
    settings.HTTPS = True
    with pytest.raises(CommandError, match="not starting: RECOUP_BASE_URL=.* RECOUP_HTTPS is on"):
        call_command("serve", "--port", "0")


def test_check_deploy_reports_the_base_url(db, settings):
    from django.core.management.base import SystemCheckError

    settings.RECOUP_BASE_URL = "https://recoup.example.com"
    with pytest.raises(SystemCheckError, match="recoup.E010.*not in RECOUP_ALLOWED_HOSTS"):
        call_command("check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())


