"""The review page and its decision, organization scoping, and the commands."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from recoup.escalation.models import EscalationReview, LetterBeforeAction, Placement
from recoup.escalation.tests.conftest import at


@pytest.fixture
def debtor(org_a, make_customer, make_invoice, system, now):
    from recoup.ledger.models import Contact
    from recoup.messaging.actions import task_open

    customer = make_customer(org_a, ref="R1", name="Robin Shaw", kind="consumer", country="GB")
    Contact.objects.create(org=org_a, customer=customer, name="Robin Shaw", email="robin@shaw.example",
                           postal_address="4 Bridge St\nChester CH1 1AA")
    make_invoice(org_a, customer, "R-1", "320.00", issue=date(2025, 12, 1), due=date(2025, 12, 31))
    task_open(org=org_a, customer=customer, kind="escalation_review", actor=system, now=now,
              text="Escalation review: R1 (Robin Shaw) reached \"Letter before action\"; decide what happens next.")
    return customer


@pytest.fixture
def owner(org_a, org_b, system, now, client):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    member_add(org=org_b, username="bert", role="owner", password="correct horse battery", actor=system, now=now)
    client.login(username="olivia", password="correct horse battery")
    return client


def test_the_review_page_tells_the_story_and_sends_the_letter(debtor, owner, org_a):
    page = owner.get(f"/o/{org_a.slug}/escalation/")
    assert page.status_code == 200 and b"Review Robin Shaw" in page.content
    page = owner.get(f"/o/{org_a.slug}/escalation/customers/{debtor.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    for words in ("R-1", "Small-claims checklist", "Letter before action sent", "Total with interest and fees"):
        assert words in body, words
    answer = owner.post(f"/o/{org_a.slug}/escalation/customers/{debtor.pk}/",
                        {"choice": "letter_before_action", "individual": "on"}, follow=True)
    assert "Letter of Claim" in answer.content.decode() and "queued for the print batch" in answer.content.decode()
    lba = LetterBeforeAction.objects.get()
    assert EscalationReview.objects.get().choice == "letter_before_action"
    assert debtor.org.pk == lba.org_id
    from recoup.messaging.models import Task

    assert Task.objects.get(kind="escalation_review").status == "done"
    again = owner.post(f"/o/{org_a.slug}/escalation/customers/{debtor.pk}/", {"choice": "agency"})
    assert again.status_code == 200 and "Choose the agency" in again.content.decode()
    letter = owner.get(f"/o/{org_a.slug}/escalation/letters/{lba.pk}/letter.pdf")
    assert letter["Content-Type"] == "application/pdf"


def test_another_organization_sees_nothing(debtor, owner, org_a, org_b, client):
    client.logout()
    client.login(username="bert", password="correct horse battery")
    assert client.get(f"/o/{org_a.slug}/escalation/customers/{debtor.pk}/").status_code == 404
    assert client.get(f"/o/{org_b.slug}/escalation/customers/{debtor.pk}/").status_code == 404
    assert client.post(f"/o/{org_b.slug}/escalation/customers/{debtor.pk}/",
                       {"choice": "write_off", "reason": "x"}).status_code == 404
    assert not EscalationReview.objects.exists()


def test_evidence_and_place_commands_write_the_files(debtor, org_a, org_b, system, now, tmp_path):
    from recoup.escalation.placement_actions import agency_save

    pdf, zipped = tmp_path / "r1.pdf", tmp_path / "r1.zip"
    out = io.StringIO()
    call_command("evidence", "R1", "--org", "acme", "--output", str(pdf), "--zip", str(zipped), "--format", "json",
                 "--date", "2026-03-31", stdout=out)
    report = json.loads(out.getvalue())
    assert report["pages"] == len(PdfReader(str(pdf)).pages) and zipped.read_bytes().startswith(b"PK")
    assert [r["section"] for r in report["index"]][:3] == ["Summary", "Timeline", "Statement of account"]
    with pytest.raises(CommandError, match="R-9"):
        call_command("evidence", "R1", "--org", "acme", "--invoices", "R-9", "--output", str(pdf))
    with pytest.raises(CommandError, match="no customer"):
        call_command("evidence", "R1", "--org", "bolt", "--output", str(pdf))

    agency_save(org=org_a, name="Northern Recoveries", commission_percent=Decimal("25"), actor=system, now=now)
    call_command("place", "Northern Recoveries", "R1", "--org", "acme", "--output-dir", str(tmp_path), "--date",
                 "2026-04-01", stdout=io.StringIO())
    placement = Placement.objects.get()
    [csv_file] = tmp_path.glob("placement-*.csv")
    rows = list(csv.DictReader(io.StringIO(csv_file.read_text("utf-8"))))
    assert [(r["customer_ref"], r["amount_placed"]) for r in rows] == [("R1", "320.00")]
    assert (tmp_path / rows[0]["evidence_pack"]).read_bytes().startswith(b"%PDF-")
    assert placement.pause.reason == "placed with Northern Recoveries"
    with pytest.raises(CommandError, match="no agency"):
        call_command("place", "Northern Recoveries", "R1", "--org", "bolt", "--output-dir", str(tmp_path))


def test_bad_debts_command(debtor, org_a, system, tmp_path):
    from recoup.escalation.writeoff_actions import bad_debt_write_off

    bad_debt_write_off(org=org_a, customer=debtor, on=date(2026, 3, 1), reason="Moved abroad", actor=system,
                       now=at(date(2026, 3, 1)))
    out = io.StringIO()
    call_command("bad-debts", "--org", "acme", "--year", "2026", stdout=out)
    assert next(iter(csv.reader(io.StringIO(out.getvalue().splitlines()[1]))))[:5] == [
        "write_off", "2026-03-01", "R1", "Robin Shaw", "R-1"]
