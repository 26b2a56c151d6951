"""Time is passed in below the entry points: every ``recoup`` verb that decides by the clock takes ``--now``,
and those that read it without are listed here with the reason (a new one fails until it is either)."""

from __future__ import annotations

import argparse
import inspect
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection

CLOCK = re.compile(r"timezone\.now\(\)|datetime\.now\(|datetime\.utcnow\(|date\.today\(\)|time\.time\(\)")

# Verbs that read the clock themselves and take no --now, and why that is right.
WITHOUT_NOW = {
    "accounts": "the clock only stamps the audit event of a two-factor reset",
    "org": "the clock only stamps the audit events of creating and changing organizations and members",
    "policy": "the clock only stamps the audit event of a policy loaded",
    "rates": "the clock only stamps the audit event; the rate's dates are arguments",
    "import": "the clock only stamps the imported rows and their audit events",
    "statement-import": "the clock only stamps the import and the decisions it records",
    "debtor": "the clock only stamps the export and the erasure",
    "payment-provider": "the clock only stamps the provider's settings",
    "interest": "--paid is the day; the clock gives its default",
    "rules": "--date is the day; the clock gives its default",
    "aging": "--as-of is the day; the clock gives its default",
    "statement": "--as-of is the day; the clock gives its default",
    "metrics": "--as-of is the day; the clock gives its default",
    "risk": "--as-of is the day; the clock gives its default",
    "connect": "the clock stamps the connection and its tokens' expiry, which the provider's own clock decides",
    "connections": "the clock only stamps the audit events of disconnecting and of rotating the key",
    "upgrade": "the clock only names the backup taken before migrating",
    "scheduler": "its loop is the clock (each pass reads it); --now runs one pass at a given time",
}


def recoup_verbs() -> dict[str, object]:
    return {name: load_command_class(app, name) for name, app in get_commands().items() if app.startswith("recoup.")}


def options_of(parser: argparse.ArgumentParser) -> set[str]:
    found = set()
    for action in parser._actions:
        found |= set(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= options_of(sub)
    return found


def test_every_verb_that_reads_the_clock_takes_now_or_says_why_not():
    verbs = recoup_verbs()
    reads_clock, takes_now = set(), set()
    for name, command in verbs.items():
        source = inspect.getsource(inspect.getmodule(command))
        if CLOCK.search(source) or "command_now(" in source:
            reads_clock.add(name)
        if "--now" in options_of(command.create_parser("recoup", name)):
            takes_now.add(name)
    unexplained = reads_clock - takes_now - set(WITHOUT_NOW)
    assert not unexplained, f"these verbs read the clock but take no --now: {sorted(unexplained)}"
    stale = {name for name in WITHOUT_NOW if name not in reads_clock or (name in takes_now and name != "scheduler")}
    assert not stale, f"listed as reading the clock without --now, but do not: {sorted(stale)}"
    assert {"cycle", "deliver", "scheduler", "digest", "arrangements-check", "case-reminders", "webhooks-deliver",
            "backup", "audit"} <= takes_now


def test_now_must_be_an_iso_date_time(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="'tomorrow' is not an ISO date-time"):
        call_command("cycle", "--now", "tomorrow")


def test_arrangements_check_takes_the_day_of_the_time_given_in_the_organizations_zone(org_a, org_b):
    out = io.StringIO()
    call_command("arrangements-check", "--now", "2026-03-05T06:00:00+00:00", "--format", "json", stdout=out)
    assert [(r["org"], r["date"]) for r in json.loads(out.getvalue())] == [("acme", "2026-03-05"),
                                                                           ("bolt", "2026-03-04")]


def test_a_portal_link_expires_counted_from_the_time_given(org_a, make_customer):
    make_customer(org_a, "C001")
    out = io.StringIO()
    call_command("portal-link", "C001", "--now", "2026-03-04T09:30:00+00:00", "--format", "json", stdout=out)
    expires = datetime.fromisoformat(json.loads(out.getvalue())["expires_at"])
    assert datetime(2026, 3, 5, tzinfo=timezone.utc) < expires < datetime(2026, 3, 4, tzinfo=timezone.utc) + \
        timedelta(days=400)
    assert expires.time() == datetime(2026, 3, 4, 9, 30).time()


def test_webhooks_deliver_takes_now(org_a):
    out = io.StringIO()
    call_command("webhooks-deliver", "--now", "2026-03-04T09:30:00+00:00", "--format", "json", stdout=out)
    assert json.loads(out.getvalue()) == {"dispatched": 0, "delivered": 0, "retried": 0, "failed": 0}


def test_the_digest_is_for_the_day_of_the_time_given_and_signs_its_checkpoint_then(org_a, system, now, mailoutbox,
                                                                                   audit_checkpoint_file):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
    call_command("digest", "--org", "acme", "--now", "2026-03-04T23:30:00-08:00", stdout=io.StringIO())
    assert "5 Mar 2026" in mailoutbox[0].subject  # 07:30 on the 5th in London
    assert json.loads(audit_checkpoint_file.read_text())["at"] == "2026-03-05T07:30:00+00:00"


@pytest.mark.django_db(transaction=True)
def test_backup_is_named_for_the_time_given(org_a, tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backup path")
    settings.RECOUP_BACKUP_DIR = tmp_path
    call_command("backup", "--daily", "--now", "2026-03-04T09:30:00+00:00", stdout=io.StringIO())
    assert [p.name for p in tmp_path.iterdir()] == ["recoup-2026-03-04.tar.gz"]


def test_the_demo_is_written_at_the_time_given_and_dated_on_its_day(db, settings, tmp_path):
    from recoup.audit.models import AuditEvent
    from recoup.ledger.models import Invoice

    settings.VAR_DIR = tmp_path
    call_command("demo", "--customers", "2", "--years", "1", "--history-days", "14", "--password", "s3cret-demo",
                 "--now", "2026-03-31T18:00:00+00:00", stdout=io.StringIO())
    at = datetime(2026, 3, 31, 18, tzinfo=timezone.utc)
    assert set(AuditEvent.objects.filter(verb="member.added").values_list("at", flat=True)) == {at}
    assert max(AuditEvent.objects.values_list("at", flat=True)) == at
    assert max(Invoice.objects.values_list("issue_date", flat=True)).isoformat() <= "2026-03-31"
