"""Backups off the box: S3-compatible object storage (AWS S3, MinIO, Backblaze B2, Wasabi, ...) via boto3.

Configured by ``RECOUP_BACKUP_S3_*`` (docs/deploy.md); unset bucket: off. The daily backup
(``backup_daily``) uploads every local daily archive the bucket lacks, then keeps the newest
``RECOUP_BACKUP_KEEP`` daily archives there as in the folder. Other archives (``recoup backup
--to s3``, the one ``recoup upgrade`` takes) are never pruned. An upload is read back (its size)
before it counts; ``recoup restore --from-s3`` downloads one and restores it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

DAILY = re.compile(r"^recoup-\d{4}-\d{2}-\d{2}\.tar\.gz$")


class OffsiteError(Exception):
    """The object store could not be reached or refused; the message says which and why."""


@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str = ""
    endpoint: str = ""
    region: str = ""
    access_key: str = ""
    secret_key: str = ""

    def where(self, name: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"


@dataclass(frozen=True)
class StoredBackup:
    name: str
    size: int
    modified: datetime


def s3_target() -> S3Target | None:
    """The configured bucket, or None when off-site backups are not configured."""
    if not settings.RECOUP_BACKUP_S3_BUCKET:
        return None
    prefix = settings.RECOUP_BACKUP_S3_PREFIX.strip("/")
    return S3Target(bucket=settings.RECOUP_BACKUP_S3_BUCKET, prefix=f"{prefix}/" if prefix else "",
                    endpoint=settings.RECOUP_BACKUP_S3_ENDPOINT, region=settings.RECOUP_BACKUP_S3_REGION,
                    access_key=settings.RECOUP_BACKUP_S3_ACCESS_KEY, secret_key=settings.RECOUP_BACKUP_S3_SECRET_KEY)


def _client(target: S3Target):
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=10, read_timeout=120, retries={"max_attempts": 5, "mode": "standard"})
    # Empty keys: boto3's own chain (AWS_* variables, ~/.aws, an instance role).
    return boto3.session.Session().client(
        "s3", endpoint_url=target.endpoint or None, region_name=target.region or None, config=config,
        aws_access_key_id=target.access_key or None, aws_secret_access_key=target.secret_key or None)


def _fail(target: S3Target, doing: str, exc: Exception) -> OffsiteError:
    return OffsiteError(f"{doing} {target.where()}{f' at {target.endpoint}' if target.endpoint else ''} failed: {exc}")


def _errors():
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error)


def upload(target: S3Target, path: Path) -> str:
    """Upload the archive at ``path`` under its own name; returns where it went."""
    path = Path(path)
    client, key = _client(target), f"{target.prefix}{path.name}"
    try:
        client.upload_file(str(path), target.bucket, key)
        stored = client.head_object(Bucket=target.bucket, Key=key)["ContentLength"]
    except _errors() as exc:
        raise _fail(target, f"uploading {path.name} to", exc) from None
    if stored != path.stat().st_size:
        raise OffsiteError(f"{target.where(path.name)} holds {stored} bytes, the archive {path.stat().st_size}")
    return target.where(path.name)


def stored_backups(target: S3Target) -> list[StoredBackup]:
    """The archives in the bucket under the prefix, oldest name first."""
    client, found = _client(target), []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(target.prefix):]
                if "/" not in name and name.endswith(".tar.gz"):
                    found.append(StoredBackup(name, item["Size"], item["LastModified"]))
    except _errors() as exc:
        raise _fail(target, "listing", exc) from None
    return sorted(found, key=lambda b: b.name)


def prune(target: S3Target, *, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` daily archives; returns the names deleted."""
    daily = [b.name for b in stored_backups(target) if DAILY.match(b.name)]
    old = daily[:-keep] if keep > 0 else []
    client = _client(target)
    try:
        for name in old:
            client.delete_object(Bucket=target.bucket, Key=f"{target.prefix}{name}")
    except _errors() as exc:
        raise _fail(target, "pruning", exc) from None
    return old


def push_daily(target: S3Target, directory: Path, *, keep: int) -> list[str]:
    """Upload the local daily archives the bucket lacks (today's, or days it was unreachable), then prune."""
    there = {b.name for b in stored_backups(target)}
    sent = [upload(target, path) for path in sorted(Path(directory).glob("recoup-????-??-??.tar.gz"))
            if path.name not in there]
    prune(target, keep=keep)
    return sent


def download(target: S3Target, name: str, folder: Path) -> Path:
    """Fetch the archive ``name`` ("latest": the last uploaded) into ``folder``; returns its path."""
    if name == "latest":
        stored = stored_backups(target)
        if not stored:
            raise OffsiteError(f"{target.where()} holds no backup")
        name = max(stored, key=lambda b: (b.modified, b.name)).name
    if "/" in name or not name.endswith(".tar.gz"):
        raise OffsiteError(f"{name!r} is not a backup name (recoup-....tar.gz, as `recoup backup --list` shows)")
    dest = Path(folder) / name
    try:
        _client(target).download_file(target.bucket, f"{target.prefix}{name}", str(dest))
    except _errors() as exc:
        raise _fail(target, f"downloading {name} from", exc) from None
    return dest
