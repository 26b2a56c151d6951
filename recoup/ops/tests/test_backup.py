"""A backup restored into an empty install holds the same ledger, the same aging and a verifying chain."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from recoup.ledger.actions import payment_record
from recoup.ledger.document_actions import invoice_attach_pdf
from recoup.ops.backup import BackupError, backup_create, backup_daily, backup_restore

ROOT = Path(__file__).resolve().parents[3]
PDF = b"%PDF-1.4\n% a tiny invoice document\n%%EOF\n"

# Run in a fresh process against the restored database: restore, then the same reports.
AFTER_RESTORE = """
import io, json, sys, django
django.setup()
from django.core.management import call_command
from django.core.management.base import CommandError
restored = io.StringIO()
call_command("restore", sys.argv[1], stdout=restored)
out = {"restore": restored.getvalue()}
for name, args in (("aging", ["aging", "--org", "acme", "--as-of", "2026-03-31", "--format", "json"]),
                   ("ledger", ["dumpdata", "ledger", "--indent", "1"]),
                   ("verify", ["audit", "verify", "--format", "json"])):
    buf = io.StringIO(); call_command(*args, stdout=buf); out[name] = json.loads(buf.getvalue())
from django.conf import settings
out["media"] = sorted(str(p.relative_to(settings.MEDIA_ROOT)) for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
print("RESULT" + json.dumps(out))
"""


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def business(org_a, org_b, make_customer, make_invoice, system, now, media):
    alpha = make_customer(org_a, "C001", "Alpha Ltd")
    first = make_invoice(org_a, alpha, "A-1", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    make_invoice(org_a, alpha, "A-2", "80.50", issue=date(2026, 3, 1), due=date(2026, 3, 31))
    payment_record(org=org_a, customer=alpha, date=date(2026, 2, 10), amount_minor=5000, currency="GBP",
                   invoice=first, actor=system, now=now)
    invoice_attach_pdf(org=org_a, invoice=first, data=PDF, actor=system, now=now)
    make_invoice(org_b, make_customer(org_b, "B001", "Beta Inc"), "B-1", "70.00")


def reports_here() -> dict:
    out = {}
    for name, args in (("aging", ["aging", "--org", "acme", "--as-of", "2026-03-31", "--format", "json"]),
                       ("ledger", ["dumpdata", "ledger", "--indent", "1"]),
                       ("verify", ["audit", "verify", "--format", "json"])):
        buf = io.StringIO()
        call_command(*args, stdout=buf)
        out[name] = json.loads(buf.getvalue())
    return out


def restore_elsewhere(archive: Path, env: dict[str, str]) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "recoup.settings", **env}
    done = subprocess.run([sys.executable, "-c", AFTER_RESTORE, str(archive)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.split("RESULT", 1)[1])


def check_same(here: dict, there: dict) -> None:
    assert there["aging"] == here["aging"] and here["aging"]
    assert there["ledger"] == here["ledger"]
    assert all(r["ok"] for r in there["verify"]) and [r["events"] for r in there["verify"]] == \
        [r["events"] for r in here["verify"]]
    assert any(name.endswith(".pdf") for name in there["media"]), "the uploaded invoice PDF came back"


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_an_empty_install(business, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path; PostgreSQL has its own test")
    result = backup_create(output=tmp_path / "b.tar.gz", now=__import__("datetime").datetime(2026, 3, 31))
    assert result.method == "sqlite-backup" and result.media_files == 1
    with tarfile.open(result.path) as tar:
        assert {"manifest.json", "db.sqlite3"} <= set(tar.getnames())
    there = restore_elsewhere(result.path, {"RECOUP_VAR_DIR": str(tmp_path / "fresh"),
                                            "RECOUP_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh' / 'db.sqlite3'}"})
    check_same(reports_here(), there)
    # The manifest's signed checkpoints (one per organization) were checked against the restored chains.
    assert "acme: 5 events, chain verifies; 1 checkpoint(s) checked" in there["restore"], there["restore"]
    assert "bolt: 2 events, chain verifies; 1 checkpoint(s) checked" in there["restore"]
    assert "not by a key this install trusts" in there["restore"]  # a fresh install has a key of its own


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_backup_restores_into_an_empty_database(business, tmp_path):
    import psycopg

    result = backup_create(output=tmp_path / "b.tar.gz", now=__import__("datetime").datetime(2026, 3, 31))
    assert result.method == "pg_dump"
    s = connection.settings_dict
    target = f"{s['NAME']}_restored"
    admin = f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{target}"')
        pg.execute(f'CREATE DATABASE "{target}"')
    try:
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{target}"
        there = restore_elsewhere(result.path, {"RECOUP_VAR_DIR": str(tmp_path / "fresh"), "RECOUP_DATABASE_URL": url})
        check_same(reports_here(), there)
    finally:
        with psycopg.connect(admin, autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_restore_refuses_an_install_that_holds_data(business, tmp_path, now):
    archive = tmp_path / "b.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = json.dumps({"format": 1, "method": "json", "database": "db.json"}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError, match="already holds organizations"):
        backup_restore(archive=archive)


@pytest.mark.django_db(transaction=True)
def test_daily_backup_keeps_the_newest(tmp_path, media, now):
    from datetime import timedelta

    if connection.vendor != "sqlite":
        pytest.skip("uses the SQLite backup path")
    for day in range(4):
        backup_daily(now=now + timedelta(days=day), directory=tmp_path, keep=2)
    assert backup_daily(now=now + timedelta(days=3), directory=tmp_path, keep=2) is None, "once a day"
    assert sorted(p.name for p in tmp_path.glob("*.tar.gz")) == ["recoup-2026-04-02.tar.gz", "recoup-2026-04-03.tar.gz"]


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # the usual umask: files 0644, folders 0755 unless asked otherwise
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.django_db(transaction=True)
def test_a_backup_is_readable_by_its_owner_only(tmp_path, media, now, open_umask):
    if connection.vendor != "sqlite":
        pytest.skip("uses the SQLite backup path")
    (tmp_path / "mine").mkdir(mode=0o755)
    result = backup_create(output=tmp_path / "mine" / "b.tar.gz", now=now)
    assert _mode(result.path) == 0o600
    assert _mode(tmp_path / "mine") == 0o755, "a folder the operator chose is left as it is"
    made = backup_create(output=tmp_path / "new" / "deeper" / "b.tar.gz", now=now).path
    assert _mode(made) == 0o600
    assert _mode(tmp_path / "new") == 0o700 and _mode(tmp_path / "new" / "deeper") == 0o700


@pytest.mark.django_db(transaction=True)
def test_the_daily_backups_and_their_folder_are_private(tmp_path, media, now, open_umask, settings):
    if connection.vendor != "sqlite":
        pytest.skip("uses the SQLite backup path")
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o755)
    older = folder / "recoup-2026-03-01.tar.gz"
    older.write_bytes(b"an archive written before backups were private")
    older.chmod(0o644)
    made = backup_daily(now=now, directory=folder, keep=5)
    assert _mode(made) == 0o600 and _mode(older) == 0o600 and _mode(folder) == 0o700
    settings.RECOUP_BACKUP_DIR = tmp_path / "default"
    call_command("backup", stdout=io.StringIO())
    assert _mode(tmp_path / "default") == 0o700
    assert [_mode(p) for p in (tmp_path / "default").iterdir()] == [0o600]


@pytest.mark.django_db(transaction=True)
def test_the_manifest_carries_signed_checkpoints_that_verify_checks_the_live_chain_against(
        business, org_a, tmp_path, audit_checkpoint_file):
    from recoup.audit.models import AuditEvent, AuditHead

    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path; the trigger on PostgreSQL refuses the tampering")
    archive = backup_create(output=tmp_path / "b.tar.gz", now=datetime(2026, 3, 31, tzinfo=timezone.utc)).path
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert [c["org"] for c in manifest["audit_checkpoints"]] == ["acme", "bolt"] and manifest["audit_unverified"] == []
    head = AuditHead.objects.get(org=org_a)
    assert manifest["audit_checkpoints"][0]["seq"] == head.seq
    # The last event cut and the head moved back: the chain fits, the backup's checkpoint does not,
    # though the checkpoint file beside the database is gone too.
    AuditEvent.objects.for_org(org_a).filter(seq=head.seq).delete()
    AuditHead.objects.filter(org=org_a).update(
        seq=head.seq - 1, hash=AuditEvent.objects.for_org(org_a).get(seq=head.seq - 1).hash)
    audit_checkpoint_file.unlink()
    out = io.StringIO()
    with pytest.raises(CommandError, match="audit chain broken in acme"):
        call_command("audit", "verify", "--checkpoints", str(archive), stdout=out)
    assert f"acme: chain ends at event #{head.seq - 1}, but the checkpoint of 2026-03-31T00:00:00+00:00" in out.getvalue()
