"""Backups: the database and the uploaded files in one .tar.gz, restored into an empty install.

The database goes in by the best means the engine offers: SQLite's online backup API (a
consistent copy while the app keeps running), ``pg_dump`` (custom format) for PostgreSQL when
the program is installed, else a logical JSON dump through Django's serializers. Uploaded files
(``MEDIA_ROOT`` under ``RECOUP_VAR_DIR``) go in under ``media/``. ``manifest.json`` says which,
and carries each organization's audit checkpoint, signed as the backup began (``recoup.audit.checkpoints``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from recoup.audit.checkpoints import checkpoints_take
from recoup.audit.signing import SigningKeyError
from recoup.ops.offsite import push_daily, s3_target

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    method: str
    media_files: int
    size: int


@dataclass
class RestoreResult:
    method: str
    media_files: int
    organizations: list[str] = field(default_factory=list)


def _engine() -> str:
    return connection.vendor  # "sqlite" or "postgresql"


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["--dbname", s["NAME"]]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
    return args, env


def _dump_database(folder: Path) -> tuple[str, str]:
    """Write the database into ``folder``; returns (method, file name)."""
    if settings.RECOUP_BACKUP_JSON:
        return _dump_json(folder)
    if _engine() == "sqlite":
        if connection.in_atomic_block:
            # SQLite's backup would wait forever for this connection's own open write transaction.
            raise BackupError("a backup must run outside a database transaction")
        connection.ensure_connection()
        target = sqlite3.connect(folder / "db.sqlite3")
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return "sqlite-backup", "db.sqlite3"
    if _engine() == "postgresql" and shutil.which("pg_dump"):
        args, env = _pg_env()
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                               "--file", str(folder / "db.pgdump"), *args], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        return "pg_dump", "db.pgdump"
    return _dump_json(folder)


def _dump_json(folder: Path) -> tuple[str, str]:
    """A logical dump through Django's serializers: slower, but it restores into either engine."""
    with open(folder / "db.json", "w", encoding="utf-8") as out:
        call_command("dumpdata", "--natural-foreign", "--exclude=contenttypes", "--exclude=auth.permission",
                     "--exclude=sessions", "--exclude=admin.logentry", stdout=out)
    return "json", "db.json"


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and any missing parent for the owner only (0700); existing ones stay as they are."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
        path.chmod(0o700)  # whatever the umask


def private_folder(folder: Path) -> Path:
    """A folder that holds only backups (``RECOUP_BACKUP_DIR``): created, or narrowed, to 0700."""
    folder = Path(folder)
    _make_folders(folder)
    folder.chmod(0o700)
    return folder


def _audit_checkpoints(now: datetime) -> dict[str, list]:
    """Each organization's signed audit checkpoint, taken now, for the manifest (``audit_checkpoints``),
    and why a chain got none (``audit_unverified``). A key that cannot be read does not stop the backup."""
    try:
        taken = checkpoints_take(now=now)
    except (SigningKeyError, OSError) as exc:
        return {"audit_checkpoints": [], "audit_unverified": [f"no checkpoints taken: {exc}"]}
    return {"audit_checkpoints": [t.checkpoint.as_json() for t in taken if t.checkpoint],
            "audit_unverified": [t.text() for t in taken if t.checkpoint is None]}


def backup_create(*, output: Path, now: datetime) -> BackupResult:
    """Write a backup archive to ``output`` (written beside it, then renamed: never half a file).

    The archive holds the whole database and the secret key: it is created readable by its owner
    only (0600), whatever the umask, and folders made for it are 0700.
    """
    output = Path(output)
    _make_folders(output.parent)
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        audit = _audit_checkpoints(now)  # before the dump: the dump holds every event they vouch for
        method, db_name = _dump_database(Path(tmp))
        files = [p for p in media.rglob("*") if p.is_file()] if media.is_dir() else []
        manifest = {"format": FORMAT, "engine": _engine(), "method": method, "database": db_name,
                    "created_at": now.isoformat(), "media_files": len(files), **audit}
        partial = Path(tmp) / "backup.tar.gz"
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw, \
                tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(now.timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(Path(tmp) / db_name, arcname=db_name)
            secret = Path(settings.VAR_DIR) / "secret_key"
            if secret.is_file():  # reply addresses (messaging.inbound) are signed with it
                tar.add(secret, arcname="secret_key")
            for path in files:
                tar.add(path, arcname=f"media/{path.relative_to(media).as_posix()}")
        os.replace(partial, output)
    return BackupResult(output, method, len(files), output.stat().st_size)


def _database_is_empty() -> bool:
    from recoup.orgs.models import Organization

    tables = connection.introspection.table_names()
    return "orgs_organization" not in tables or not Organization.objects.exists()


def _restore_database(folder: Path, manifest: dict) -> None:
    method, db_file = manifest["method"], folder / manifest["database"]
    if method == "sqlite-backup":
        if _engine() != "sqlite":
            raise BackupError("this backup holds a SQLite database; restore it into a SQLite install "
                              "(or make a JSON backup with RECOUP_BACKUP_JSON=true)")
        connection.ensure_connection()
        source = sqlite3.connect(db_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        connection.close()
    elif method == "pg_dump":
        if _engine() != "postgresql" or not shutil.which("pg_restore"):
            raise BackupError("this backup holds a pg_dump archive; restore it into PostgreSQL with pg_restore installed")
        args, env = _pg_env()
        connection.close()
        done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                               "--single-transaction", *args, str(db_file)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[:2000]}")
    elif method == "json":
        call_command("migrate", verbosity=0, interactive=False)
        call_command("loaddata", str(db_file), verbosity=0)
    else:
        raise BackupError(f"unknown backup method {method!r}")


def backup_restore(*, archive: Path) -> RestoreResult:
    """Restore ``archive`` into this install, which must hold no organization yet."""
    from recoup.orgs.models import Organization

    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    if not _database_is_empty():
        raise BackupError("this install already holds organizations; restore into an empty database "
                          "(a new RECOUP_DATABASE_URL or RECOUP_VAR_DIR)")
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        try:
            manifest = json.loads(tar.extractfile("manifest.json").read())
        except (KeyError, ValueError, AttributeError):
            raise BackupError(f"{archive}: not a Recoup backup (no readable manifest.json)") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive}: backup format {manifest.get('format')!r} is not {FORMAT}")
        tar.extractall(tmp, filter="data")  # refuses absolute paths, .. and links out of the folder
        _restore_database(Path(tmp), manifest)
        call_command("migrate", verbosity=0, interactive=False)  # a backup from an older version catches up
        secret = Path(tmp) / "secret_key"
        if secret.is_file() and not os.environ.get("RECOUP_SECRET_KEY"):
            target = Path(settings.VAR_DIR) / "secret_key"
            shutil.copyfile(secret, target)
            target.chmod(0o600)  # takes effect when the server next starts
        count = 0
        if (Path(tmp) / "media").is_dir():
            for path in (Path(tmp) / "media").rglob("*"):
                if path.is_file():
                    target = media / path.relative_to(Path(tmp) / "media")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
                    count += 1
    return RestoreResult(manifest["method"], count, list(Organization.objects.order_by("slug").values_list("slug", flat=True)))


def backup_daily(*, now: datetime, directory: Path | None = None, keep: int | None = None) -> Path | None:
    """Make today's backup (once a day: None when today's exists) and keep only the newest ``keep``.

    Called by the scheduler; the folder is ``RECOUP_BACKUP_DIR`` and ``keep`` ``RECOUP_BACKUP_KEEP``.
    With ``RECOUP_BACKUP_S3_BUCKET`` set, the archives go off the box too, kept alike.
    """
    directory = private_folder(Path(directory or settings.RECOUP_BACKUP_DIR))
    keep = keep if keep is not None else settings.RECOUP_BACKUP_KEEP
    target = directory / f"recoup-{now:%Y-%m-%d}.tar.gz"
    made = None
    if not target.exists():
        made = backup_create(output=target, now=now).path
    backups = sorted(directory.glob("recoup-????-??-??.tar.gz"))
    for old in backups[:-keep] if keep > 0 else []:
        old.unlink()
    for kept in directory.glob("recoup-????-??-??.tar.gz"):  # those written before backups were private too
        kept.chmod(0o600)
    target_s3 = s3_target()
    if target_s3 is not None and (made is not None or directory not in _PUSHED):
        push_daily(target_s3, directory, keep=keep)  # off the box too (recoup.ops.offsite)
        _PUSHED.add(directory)
    return made


# Folders whose daily archives this process has sent off-site since it started: the bucket is
# listed once per process and then only when a new archive is made, not on every pass.
_PUSHED: set[Path] = set()
