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
    # Nothing was delivered yet: the subject and the body both say so.
    assert mail["Subject"] == "Recoup Acme Supplies Ltd, 11 Mar 2026: 2 queued, 0 sent so far, 1 waiting for you"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Messages queued:   2\n    sent so far:     0\n    not sent yet:    2" in text
    assert "Replies to read:           1" in text
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


def test_the_digest_counts_what_was_sent_apart_from_what_is_still_queued(smtp, five_step, debtor, make_invoice,
                                                                          org_a, system, now):
    from recoup.messaging.delivery import deliver_due

    member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
    for ref in ("C1", "C2", "C3"):
        make_invoice(org_a, debtor(org_a, ref), f"INV-{ref}", "50.00", due=date(2026, 3, 1))
    cycle_run(org=org_a, on=date(2026, 3, 11), now=at(date(2026, 3, 11)))
    report = deliver_due(now=at(date(2026, 3, 11), 10), org=org_a, limit=1)
    assert report.sent == 1

    call_command("digest", "--org", "acme", "--date", "2026-03-11", stdout=io.StringIO())

    mail = smtp.received[-1]
    assert mail["Subject"] == "Recoup Acme Supplies Ltd, 11 Mar 2026: 3 queued, 1 sent so far, 0 waiting for you"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Messages queued:   3\n    sent so far:     1\n    not sent yet:    2" in text
    html = mail.get_body(("html",)).get_content()
    assert "sent so far</th><td align=\"right\">1<" in html
