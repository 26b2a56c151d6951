"""Checkpoints anchor the chain outside the database: a rewrite re-hashed to the end, a cut tail with the
head moved back, a forged checkpoint are all reported by ``recoup audit verify``."""

from __future__ import annotations

import html
import io
import json
import stat
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from recoup.audit.actions import Actor, record
from recoup.audit.chain import event_hash
from recoup.audit.checkpoints import (
    Checkpoint, CheckpointError, checkpoint_take, known_checkpoints, read_checkpoints,
)
from recoup.audit.models import AuditEvent, AuditHead
from recoup.audit.selectors import chain_verify


pytestmark = pytest.mark.usefixtures("as_database_superuser")


def write_events(org, now, n, start=0):
    for i in range(start, start + n):
        record(org=org, actor=Actor.system("t"), at=now + timedelta(minutes=i), verb="test.done", subject=org,
               summary=f"event {i}", data={"i": i})


def rewrite_from(org, seq, summary):
    """What someone with the database does: change event ``seq`` and re-hash it and every later one,
    then move the head: the chain fits again."""
    prev = AuditEvent.objects.for_org(org).get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for event in AuditEvent.objects.for_org(org).filter(seq__gte=seq).order_by("seq"):
        content = {**event.content(), "prev_hash": prev}
        if event.seq == seq:
            content["summary"] = summary
        prev = event_hash(**content)
        AuditEvent.objects.filter(pk=event.pk).update(summary=content["summary"], prev_hash=content["prev_hash"],
                                                      hash=prev)
    AuditHead.objects.filter(org_id=org.pk).update(hash=prev)


def cut_tail(org, keep):
    """Delete the events after ``keep`` and move the head back to it: again a chain that fits."""
    AuditEvent.objects.for_org(org).filter(seq__gt=keep).delete()
    AuditHead.objects.filter(org_id=org.pk).update(seq=keep, hash=AuditEvent.objects.for_org(org).get(seq=keep).hash)


def verify(*args) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def test_a_checkpoint_signs_the_head_into_the_file_and_verifies(org_a, org_b, now, audit_checkpoint_file):
    write_events(org_a, now, 4)
    taken = checkpoint_take(org=org_a, now=now)
    head = AuditHead.objects.get(org=org_a)
    assert taken.checkpoint.seq == head.seq and taken.checkpoint.hash == head.hash and taken.checkpoint.signature_ok
    assert read_checkpoints(audit_checkpoint_file) == [taken.checkpoint]
    assert stat.S_IMODE(audit_checkpoint_file.stat().st_mode) == 0o600
    ok, text = verify("--org", "acme")
    assert ok and "1 checkpoint(s) checked" in text


def test_the_signing_key_is_made_once_outside_the_database_readable_by_the_owner_only(org_a, now, settings, tmp_path):
    settings.RECOUP_AUDIT_KEY_FILE = tmp_path / "keys" / "audit.pem"
    first = checkpoint_take(org=org_a, now=now).checkpoint
    second = checkpoint_take(org=org_a, now=now).checkpoint
    assert stat.S_IMODE(settings.RECOUP_AUDIT_KEY_FILE.stat().st_mode) == 0o600
    assert first.key == second.key and list(tmp_path.joinpath("keys").iterdir()) == [settings.RECOUP_AUDIT_KEY_FILE]


def test_a_rewrite_rehashed_to_the_end_verifies_alone_but_not_against_the_checkpoint(org_a, org_b, now):
    write_events(org_a, now, 6)
    write_events(org_b, now, 2)
    checked = checkpoint_take(org=org_a, now=now).checkpoint.seq
    checkpoint_take(org=org_b, now=now)
    write_events(org_a, now, 2, start=6)
    rewrite_from(org_a, 3, "nothing to see")
    assert chain_verify(org_a).ok, "the chain on its own fits again: this is what checkpoints are for"
    ok, text = verify()
    assert not ok
    assert f"acme: event #{checked} differs from the checkpoint of 2026-03-31T12:00:00+00:00 (history rewritten)" \
        in text
    assert "bolt: 3 events, chain verifies; 1 checkpoint(s) checked" in text  # its org.created and two more


def test_a_cut_tail_with_the_head_moved_back_is_found(org_a, now):
    write_events(org_a, now, 5)
    checked = checkpoint_take(org=org_a, now=now).checkpoint.seq
    cut_tail(org_a, 3)
    assert chain_verify(org_a).ok
    ok, text = verify("--org", "acme")
    assert not ok and "chain ends at event #3, but the checkpoint of" in text and f"vouches for event #{checked}" in text


def test_a_forged_checkpoint_is_reported_and_one_signed_by_another_key_is_not_believed(
        org_a, now, audit_checkpoint_file, tmp_path, settings):
    write_events(org_a, now, 3)
    real = checkpoint_take(org=org_a, now=now).checkpoint
    forged = replace(real, seq=2, hash=AuditEvent.objects.for_org(org_a).get(seq=2).hash.replace("a", "b", 1) + "")
    with audit_checkpoint_file.open("a") as out:
        out.write(forged.line() + "\n")
    ok, text = verify("--org", "acme")
    assert not ok and "checkpoint of 2026-03-31T12:00:00+00:00 at event #2: bad signature (forged or damaged)" in text
    # A checkpoint well signed, but by someone else's key, does not count (nor do they help a rewrite pass).
    settings.RECOUP_AUDIT_KEY_FILE = tmp_path / "other.pem"
    other = tmp_path / "other.jsonl"
    settings.RECOUP_AUDIT_CHECKPOINT_FILE = other
    stranger = checkpoint_take(org=org_a, now=now).checkpoint
    settings.RECOUP_AUDIT_CHECKPOINT_FILE = audit_checkpoint_file
    settings.RECOUP_AUDIT_KEY_FILE = tmp_path.parent / "none.pem"  # this install's key is neither
    settings.RECOUP_AUDIT_TRUSTED_KEYS = [real.key]
    audit_checkpoint_file.write_text(real.line() + "\n")
    ok, text = verify("--org", "acme", "--checkpoints", str(other))
    assert not ok and f"signed by key {stranger.key[:16]}…, which this install does not trust" in text
    settings.RECOUP_AUDIT_TRUSTED_KEYS = [real.key, stranger.key]
    assert verify("--org", "acme", "--checkpoints", str(other))[0]


def test_no_checkpoint_is_signed_over_a_broken_chain(org_a, now, audit_checkpoint_file):
    write_events(org_a, now, 3)
    AuditEvent.objects.for_org(org_a).filter(seq=2).update(summary="edited")
    taken = checkpoint_take(org=org_a, now=now)
    assert taken.checkpoint is None and "chain BROKEN at event #2" in taken.problem
    assert not audit_checkpoint_file.exists()
    with pytest.raises(CommandError, match="no checkpoint for acme"):
        call_command("audit", "checkpoint", "--org", "acme", "--now", "2026-03-31T12:00:00+00:00", stdout=io.StringIO())


def test_the_next_checkpoint_reads_on_from_the_last_and_notices_a_rewrite_before_it(org_a, now):
    write_events(org_a, now, 4)
    checkpoint_take(org=org_a, now=now)
    write_events(org_a, now, 2, start=4)
    second = checkpoint_take(org=org_a, now=now + timedelta(days=1)).checkpoint.seq
    assert second == AuditHead.objects.get(org=org_a).seq
    rewrite_from(org_a, 2, "rewritten")
    taken = checkpoint_take(org=org_a, now=now + timedelta(days=2))
    assert taken.checkpoint is None and f"event #{second} has another hash than when last checked" in taken.problem


def test_the_command_takes_checkpoints_at_the_time_given(org_a, org_b, now, audit_checkpoint_file):
    out = io.StringIO()
    call_command("audit", "checkpoint", "--now", "2026-04-01T06:30:00+02:00", stdout=out)
    rows = [json.loads(line) for line in audit_checkpoint_file.read_text().splitlines()]
    assert [(r["org"], r["at"]) for r in rows] == [("acme", "2026-04-01T04:30:00+00:00"),
                                                    ("bolt", "2026-04-01T04:30:00+00:00")]
    assert out.getvalue().count("recoup-audit-checkpoint ") == 2


def test_checkpoints_are_read_from_a_saved_digest_and_a_manifest_and_damage_is_named(org_a, now, tmp_path):
    cp = checkpoint_take(org=org_a, now=now).checkpoint
    mail = tmp_path / "digest.eml"
    mail.write_bytes(
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n"
        b"Subject: digest\n\nSent 3.\n" + _qp(cp.text()).encode() + b"\n")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": 1, "audit_checkpoints": [cp.as_json()]}))
    assert read_checkpoints(mail) == [cp] and read_checkpoints(manifest) == [cp]
    damaged = tmp_path / "checkpoints.jsonl"
    damaged.write_text(cp.line() + "\n" + cp.line()[:40] + "\n")
    with pytest.raises(CheckpointError, match=r"checkpoints.jsonl, line 2: not a checkpoint"):
        known_checkpoints([damaged])


def _qp(text: str) -> str:
    import quopri

    return quopri.encodestring(text.encode()).decode()


def test_checkpoints_of_an_organization_gone_from_the_database_are_reported(org_a, org_b, now):
    checkpoint_take(org=org_b, now=now)
    cp = Checkpoint.from_json(json.loads(known_checkpoints()[0].line()))
    assert cp.org == "bolt"
    from recoup.orgs.models import Organization

    AuditEvent.objects.for_org(org_b).delete()
    AuditHead.objects.filter(org_id=org_b.pk).delete()
    Organization.objects.filter(pk=org_b.pk).delete()
    ok, text = verify()
    assert not ok and f"organization #{org_b.pk} (bolt) has checkpoints but is not in the database" in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_truncate(org_a, now):
    from django.db import DatabaseError, transaction

    record(org=org_a, actor=Actor.system("t"), at=now, verb="x.y", subject=org_a, summary="s")
    for sql in ("TRUNCATE audit_auditevent", "TRUNCATE orgs_organization CASCADE"):
        with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.for_org(org_a).count() >= 1


def test_the_days_digest_carries_a_checkpoint_that_verify_reads_back_from_the_saved_mail(
        org_a, system, now, mailoutbox, audit_checkpoint_file, tmp_path):
    from zoneinfo import ZoneInfo

    from recoup.collections.scheduler import scheduler_tick
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
    write_events(org_a, now, 3)
    scheduler_tick(now=datetime(2026, 3, 31, 7, 5, tzinfo=ZoneInfo("Europe/London")), deliver=False)
    [mail] = mailoutbox
    [signed] = read_checkpoints(audit_checkpoint_file)
    assert signed.text() in mail.body and signed.text() in html.unescape(mail.alternatives[0][0])
    assert signed.seq == AuditHead.objects.get(org=org_a).seq
    saved = tmp_path / "digest.eml"
    saved.write_bytes(mail.message().as_bytes())
    # Someone with the database and the server's files rewrites history and deletes the checkpoint file;
    # the operator's mailbox still holds the day's checkpoint.
    rewrite_from(org_a, 2, "rewritten")
    audit_checkpoint_file.unlink()
    assert verify("--org", "acme")[0]
    ok, text = verify("--org", "acme", "--checkpoints", str(saved))
    assert not ok and f"event #{signed.seq} differs from the checkpoint" in text


def test_the_digest_says_so_when_the_chain_is_broken(org_a, system, now, mailoutbox):
    from recoup.collections.digest import digest_send
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
    write_events(org_a, now, 3)
    AuditEvent.objects.for_org(org_a).filter(seq=3).update(summary="edited")
    digest_send(org=org_a, on=now.date(), audit=checkpoint_take(org=org_a, now=now))
    assert "THE AUDIT TRAIL DOES NOT VERIFY, so no checkpoint was signed today:\nacme: chain BROKEN at event #3" \
        in mailoutbox[0].body
