"""Backups off the box: to a local S3-compatible server (moto's), kept like the folder, restored from there."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recoup.ops.backup import backup_daily
from recoup.ops.offsite import OffsiteError

ROOT = Path(__file__).resolve().parents[3]
DAY = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
KEYS = {"RECOUP_BACKUP_S3_ACCESS_KEY": "recoup-test", "RECOUP_BACKUP_S3_SECRET_KEY": "recoup-test-secret"}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, tmp_path, request):
    """A fresh bucket on the local server, configured as RECOUP_BACKUP_S3_*."""
    import boto3

    name = f"recoup-{request.node.name[:30].replace('_', '-').lower()}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id="recoup-test", aws_secret_access_key="recoup-test-secret")
    client.create_bucket(Bucket=name)
    settings.RECOUP_BACKUP_S3_BUCKET, settings.RECOUP_BACKUP_S3_PREFIX = name, "acme-books/"
    settings.RECOUP_BACKUP_S3_ENDPOINT, settings.RECOUP_BACKUP_S3_REGION = s3_server, "us-east-1"
    settings.RECOUP_BACKUP_S3_ACCESS_KEY = KEYS["RECOUP_BACKUP_S3_ACCESS_KEY"]
    settings.RECOUP_BACKUP_S3_SECRET_KEY = KEYS["RECOUP_BACKUP_S3_SECRET_KEY"]
    settings.RECOUP_BACKUP_DIR = tmp_path / "backups"
    settings.MEDIA_ROOT = tmp_path / "media"
    yield client, name
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


def _names(client, bucket_name) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket_name).get("Contents", []))


@pytest.mark.django_db(transaction=True)
def test_daily_backups_go_off_the_box_and_both_places_keep_the_newest(bucket, settings, org_a):
    from recoup.ops import backup

    client, name = bucket
    backup._PUSHED.clear()
    client.put_object(Bucket=name, Key="acme-books/recoup-upgrade-2026-01-01T000000.tar.gz", Body=b"older version")
    for n in range(4):
        backup_daily(now=DAY + timedelta(days=n), keep=2)
    kept = ["recoup-2026-03-04.tar.gz", "recoup-2026-03-05.tar.gz"]
    assert sorted(p.name for p in settings.RECOUP_BACKUP_DIR.iterdir()) == kept
    assert _names(client, name) == [f"acme-books/{n}" for n in kept] + [
        "acme-books/recoup-upgrade-2026-01-01T000000.tar.gz"]  # only daily archives are pruned
    local = (settings.RECOUP_BACKUP_DIR / kept[1]).read_bytes()
    assert client.get_object(Bucket=name, Key=f"acme-books/{kept[1]}")["Body"].read() == local


@pytest.mark.django_db(transaction=True)
def test_a_day_the_bucket_was_unreachable_is_sent_the_next_time(bucket, settings, org_a):
    from recoup.ops import backup

    client, name = bucket
    backup._PUSHED.clear()
    endpoint = settings.RECOUP_BACKUP_S3_ENDPOINT
    settings.RECOUP_BACKUP_S3_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(OffsiteError, match="http://127.0.0.1:9"):
        backup_daily(now=DAY, keep=5)
    assert (settings.RECOUP_BACKUP_DIR / "recoup-2026-03-02.tar.gz").is_file()  # the local copy is made anyway
    settings.RECOUP_BACKUP_S3_ENDPOINT = endpoint
    backup._PUSHED.clear()  # as after a restart
    backup_daily(now=DAY + timedelta(days=1), keep=5)
    assert _names(client, name) == ["acme-books/recoup-2026-03-02.tar.gz", "acme-books/recoup-2026-03-03.tar.gz"]


def test_backup_to_s3_needs_a_bucket(db, settings):
    settings.RECOUP_BACKUP_S3_BUCKET = ""
    with pytest.raises(CommandError, match="set RECOUP_BACKUP_S3_BUCKET"):
        call_command("backup", "--to", "s3")


@pytest.mark.django_db(transaction=True)
def test_a_backup_sent_to_s3_restores_into_an_empty_install_elsewhere(bucket, settings, tmp_path, org_a,
                                                                      make_customer, make_invoice):
    client, name = bucket
    make_invoice(org_a, make_customer(org_a, "C001", "Alpha Ltd"), "A-1", "120.00")
    out = io.StringIO()
    call_command("backup", "--to", "s3", stdout=out)
    assert f"uploaded to s3://{name}/acme-books/recoup-" in out.getvalue()
    call_command("backup", "--list", stdout=out)
    assert f"s3://{name}/acme-books/recoup-" in out.getvalue()
    elsewhere = tmp_path / "elsewhere"
    env = {**os.environ, "RECOUP_VAR_DIR": str(elsewhere), "RECOUP_BACKUP_S3_BUCKET": name,
           "RECOUP_BACKUP_S3_PREFIX": "acme-books", "RECOUP_BACKUP_S3_ENDPOINT": settings.RECOUP_BACKUP_S3_ENDPOINT,
           "RECOUP_BACKUP_S3_REGION": "us-east-1", **KEYS}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with empty_database(elsewhere) as url:
        env["RECOUP_DATABASE_URL"] = url
        done = subprocess.run([sys.executable, "-m", "recoup.cli", "restore", "--from-s3", "latest"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"fetched s3://{name}/acme-books/recoup-" in done.stdout
    assert "restored acme" in done.stdout and "acme: " in done.stdout and "chain verifies" in done.stdout


@contextmanager
def empty_database(folder: Path):
    """A database to restore into, of the same engine as the tests' (a pg_dump archive needs PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield f"sqlite:///{folder / 'recoup.sqlite3'}"
        return
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_s3restore"
    conninfo = {"host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432, "user": s["USER"],
                "password": s["PASSWORD"] or None, "dbname": "postgres"}
    with psycopg.connect(**conninfo, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    try:
        yield f"postgres://{auth}@{conninfo['host']}:{conninfo['port']}/{name}"
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
