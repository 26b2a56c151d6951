"""The operator's daily digest, delivered to a real SMTP server."""

from __future__ import annotations

import io
from datetime import date

from django.core.management import call_command

from recoup.collections.cycle import cycle_run
from recoup.collections.tests.conftest import at
from recoup.messaging.actions import task_open
from recoup.messaging.models import TaskKind
from recoup.orgs.actions import member_add


def test_owners_and_collectors_get_the_days_counts_and_viewers_do_not(
        smtp, five_step, debtor, make_invoice, org_a, org_b, system, now):
    for username, role in (("olga", "owner"), ("colin", "collector"), ("vera", "viewer")):
        member_add(org=org_a, username=username, role=role, email=f"{username}@acme.example", actor=system, now=now)
    member_add(org=org_b, username="bob", role="owner", email="bob@bolt.example", actor=system, now=now)
    for ref in ("C1", "C2"):
        make_invoice(org_a, debtor(org_a, ref), f"INV-{ref}", "50.00", due=date(2026, 3, 1))
    cycle_run(org=org_a, on=date(2026, 3, 11), now=at(date(2026, 3, 11)))
    task_open(org=org_a, customer=None, kind=TaskKind.REPLY, text="a reply", actor=system, now=now)

    out = io.StringIO()
    call_command("digest", "--org", "acme", "--date", "2026-03-11", "--url", "http://recoup.example/", stdout=out)

    assert "sent to 2 operator(s)" in out.getvalue()
    [mail] = smtp.received
    assert sorted(a.strip() for a in mail["To"].split(",")) == ["colin@acme.example", "olga@acme.example"]
    assert mail["Subject"] == "Recoup Acme Supplies Ltd, 11 Mar 2026: 2 sent, 1 waiting for you"
    text = mail.get_body(("plain",)).get_content()
    assert "Messages queued:   2" in text and "Replies to read:           1" in text
    assert "http://recoup.example/o/acme/worklist/" in text


def test_in_review_mode_the_digest_counts_the_drafts_waiting(smtp, five_step, debtor, make_invoice, org_a, system,
                                                             now):
    from recoup.collections.digest import digest_for

    org_a.send_mode = "review"
    org_a.save(update_fields=["send_mode"])
    make_invoice(org_a, debtor(org_a, "C1"), "INV-C1", "50.00", due=date(2026, 3, 1))
    cycle_run(org=org_a, on=date(2026, 3, 11), now=at(date(2026, 3, 11)))

    digest = digest_for(org=org_a, on=date(2026, 3, 11))

    assert (digest.drafts, digest.waiting) == (1, 1)
