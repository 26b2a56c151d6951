"""``recoup arrangements``: plans, promises and disputes from the command line, through the pages' actions."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recoup.arrangements.models import Dispute, PaymentPlan, PlanStatus, Promise
from recoup.audit.models import AuditEvent
from recoup.collections.models import Pause
from recoup.messaging.models import Message

NOW = "2026-03-31T10:00:00+01:00"


def run(*args) -> list[dict]:
    out = io.StringIO()
    call_command("arrangements", *args, "--org", "acme", "--now", NOW, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def held(org, invoice) -> bool:
    return Pause.objects.for_org(org).filter(invoice=invoice, lifted_at__isnull=True).exists()


def test_a_plan_made_on_the_command_line_holds_its_invoices_and_is_audited_until_it_ends(owed, org_a):
    [plan] = run("plan", "create", "C001", "--invoice", "INV-1", "--invoice", "INV-2", "--instalments", "3",
                 "--first", "2026-04-15", "--down", "100.00", "--note", "agreed on the phone")
    assert (plan["status"], plan["total"], plan["down_payment"], plan["invoices"]) == \
        ("active", "900.00", "100.00", ["INV-1", "INV-2"])
    assert held(org_a, owed["inv1"]) and held(org_a, owed["inv2"])
    event = AuditEvent.objects.for_org(org_a).get(verb="plan.started")
    assert event.actor_label == "recoup arrangements" and event.customer_id == owed["customer"].pk
    assert [r["id"] for r in run("plan", "list")] == [plan["id"]]
    [ended] = run("plan", "end", str(plan["id"]), "--reason", "replaced by a settlement")
    assert ended["status"] == PlanStatus.CANCELLED and not held(org_a, owed["inv1"])
    assert run("plan", "list") == [] and [r["status"] for r in run("plan", "list", "--all")] == ["cancelled"]


def test_a_promise_is_checked_like_the_pages_and_cancelled_with_a_reason(owed, org_a):
    with pytest.raises(CommandError, match="The date cannot be in the past"):
        run("promise", "create", "C001", "--invoice", "INV-1", "--pay-by", "2026-03-30")
    with pytest.raises(CommandError, match=r"'12,50' is not an amount \(use a dot"):
        run("promise", "create", "C001", "--invoice", "INV-1", "--pay-by", "2026-04-10", "--amount", "12,50")
    [promise] = run("promise", "create", "C001", "--invoice", "INV-1", "--pay-by", "2026-04-10", "--amount", "250")
    assert (promise["amount"], promise["pay_by"], promise["made_on"]) == ("250.00", "2026-04-10", "2026-03-31")
    assert held(org_a, owed["inv1"]) and not held(org_a, owed["inv2"])
    run("promise", "end", str(promise["id"]), "--reason", "taken in error")
    assert Promise.objects.get(pk=promise["id"]).status == "cancelled" and not held(org_a, owed["inv1"])


def test_a_dispute_rejected_on_the_command_line_tells_the_debtor_through_the_outbox(owed, org_a, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("The goods arrived broken.")
    [dispute] = run("dispute", "create", "C001", "--invoice", "INV-2", "--category", "quality",
                    "--message", "Broken on arrival", "--amount", "120", "--attach", str(note))
    assert (dispute["status"], dispute["amount"], dispute["category"]) == ("open", "120.00", "quality")
    assert [a.filename for a in Dispute.objects.get(pk=dispute["id"]).attachments.all()] == ["note.txt"]
    assert held(org_a, owed["inv2"])
    [listed] = run("dispute", "list", "--customer", "C001")
    assert (listed["age_days"], listed["past_sla"]) == (0, False)
    run("dispute", "end", str(dispute["id"]), "--reject", "--resolution", "The photos show the goods intact.")
    assert Dispute.objects.get(pk=dispute["id"]).status == "rejected" and not held(org_a, owed["inv2"])
    assert Message.objects.for_org(org_a).filter(source="arrangements", customer=owed["customer"]).count() == 1


def test_it_names_what_is_not_there_and_stays_in_its_organization(owed, org_a, org_b, make_customer, make_invoice):
    with pytest.raises(CommandError, match="--invoice: INV-9 not among C001's invoices"):
        run("plan", "create", "C001", "--invoice", "INV-9", "--instalments", "2", "--first", "2026-04-15")
    with pytest.raises(CommandError, match="no customer 'C404' in acme"):
        run("promise", "list", "--customer", "C404")
    theirs = make_customer(org_b, "B1")
    make_invoice(org_b, theirs, "INV-B", "10.00", due=date(2026, 3, 1))
    with pytest.raises(CommandError, match="no customer 'B1' in acme"):
        run("promise", "create", "B1", "--invoice", "INV-B", "--pay-by", "2026-04-10")
    plan = PaymentPlan.objects.create(org=org_b, customer=theirs, currency="USD", total_minor=1000,
                                      instalment_count=2, frequency="monthly", first_date=date(2026, 4, 1),
                                      start_date=date(2026, 3, 31), status="active", source="operator",
                                      created_by="x", created_at=datetime(2026, 3, 30, tzinfo=timezone.utc))
    with pytest.raises(CommandError, match=f"no plan #{plan.pk} in acme"):
        run("plan", "end", str(plan.pk), "--reason", "not yours")
