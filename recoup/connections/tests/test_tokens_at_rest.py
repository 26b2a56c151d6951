"""Tokens at rest: ciphertext in the database, the key outside it and outside the backup, never in
the audit trail; a key rotated keeps every token readable."""

from __future__ import annotations

import os
import tarfile

from cryptography.fernet import Fernet

from recoup.audit.models import AuditEvent
from recoup.connections import crypto
from recoup.connections.keys import rotate_tokens
from recoup.connections.models import Connection


def test_a_backup_holds_only_ciphertext_and_not_the_key(connection, tmp_path, settings, monkeypatch, transactional_db):
    from recoup.ops.backup import backup_create
    from conftest import NOW

    monkeypatch.delenv(crypto.ENV)
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    stored = Connection.objects.get(pk=connection.pk)
    stored.access_token_enc = crypto.encrypt("secret-access-token-xyz")
    stored.save()
    assert (tmp_path / crypto.KEY_FILE).stat().st_mode & 0o777 == 0o600
    result = backup_create(output=tmp_path / "backup.tar.gz", now=NOW)
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
        database = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    assert crypto.KEY_FILE not in names
    assert b"secret-access-token-xyz" not in database
    assert stored.access_token_enc.encode() in database or result.method != "sqlite-backup"


def test_tokens_never_reach_the_audit_trail(org_a, connection, seeded, now):
    from recoup.connections.sync import sync_connection

    sync_connection(connection=connection, now=now)
    for event in AuditEvent.objects.for_org(org_a):
        assert "access-1" not in event.summary and "access-1" not in str(event.data)


def test_rotating_the_key_keeps_every_token_readable(connection, monkeypatch):
    old = os.environ[crypto.ENV]
    new = Fernet.generate_key().decode()
    monkeypatch.setenv(crypto.ENV, f"{new},{old}")
    assert rotate_tokens() == 1
    monkeypatch.setenv(crypto.ENV, new)  # the old key dropped
    stored = Connection.objects.get(pk=connection.pk)
    assert crypto.decrypt(stored.access_token_enc) == "access-1"
    assert crypto.decrypt(stored.refresh_token_enc) == "refresh-1"
