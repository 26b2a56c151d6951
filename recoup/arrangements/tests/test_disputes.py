"""Working a dispute: holds until closed, credit note, rejection told to the debtor, mediation, SLA."""

from __future__ import annotations

from datetime import date

import pytest

from recoup.arrangements.actions import ArrangementError, debtor_actor, dispute_open
from recoup.arrangements.dispute_actions import (
    dispute_refer, dispute_reject, dispute_resolve, dispute_resolve_credit, dispute_review, referral_conclude,
    settings_update,
)
from recoup.arrangements.models import DisputeStatus
from recoup.arrangements.selectors import disputes_past_sla, settings_for
from recoup.arrangements.tests.conftest import day
from recoup.collections.cycle import cycle_run
from recoup.collections.models import Pause
from recoup.messaging.models import Message


@pytest.fixture
def dispute(owed, org_a):
    customer = owed["customer"]
    return dispute_open(org=org_a, customer=customer, invoices=[owed["inv1"]], category="wrong_amount",
                        amount_minor=10000, message="You charged 6 boxes, we ordered 5.",
                        actor=debtor_actor(customer), now=day(date(2026, 3, 2)))


def test_a_disputed_invoice_gets_no_reminder_until_resolved_by_credit_note(dispute, owed, org_a, system):
    cycle_run(org=org_a, on=date(2026, 3, 4), now=day(date(2026, 3, 4)))
    assert not Message.objects.for_org(org_a).exists()
    dispute_review(org=org_a, dispute=dispute, actor=system, now=day(date(2026, 3, 5)))
    dispute = dispute_resolve_credit(org=org_a, dispute=dispute, number="CN-1", amount_minor=10000,
                                     reason="One box too many", actor=system, now=day(date(2026, 3, 6)))
    owed["inv1"].refresh_from_db()
    assert owed["inv1"].open_minor == 50000
    assert (dispute.status, dispute.credit_note.number) == (DisputeStatus.RESOLVED_CREDIT, "CN-1")
    assert not Pause.objects.filter(lifted_at__isnull=True).exists()
    cycle_run(org=org_a, on=date(2026, 3, 6), now=day(date(2026, 3, 6)))
    assert list(Message.objects.for_org(org_a).values_list("step_key", flat=True)) == ["first-reminder"]
    with pytest.raises(ArrangementError, match="is closed"):
        dispute_reject(org=org_a, dispute=dispute, explanation="Too late for this.", actor=system,
                       now=day(date(2026, 3, 7)))


def test_a_rejection_explains_itself_to_the_debtor(dispute, org_a, system):
    with pytest.raises(ArrangementError, match="explain"):
        dispute_reject(org=org_a, dispute=dispute, explanation="no", actor=system, now=day(date(2026, 3, 5)))
    dispute_reject(org=org_a, dispute=dispute, explanation="The delivery note signed on 12 Feb shows 6 boxes.",
                   actor=system, now=day(date(2026, 3, 5)))
    notice = Message.objects.for_org(org_a).get(source="arrangements")
    assert "signed on 12 Feb shows 6 boxes" in notice.body_text
    assert not Pause.objects.filter(lifted_at__isnull=True).exists()


def test_mediation_keeps_the_hold_and_records_the_outcome(dispute, org_a, system):
    referral = dispute_refer(org=org_a, dispute=dispute, kind="mediation", neutral_party="County Mediation Service",
                             referred_on=date(2026, 3, 10), hearing_on=date(2026, 3, 24), actor=system,
                             now=day(date(2026, 3, 10)))
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.MEDIATION
    assert Pause.objects.filter(lifted_at__isnull=True).count() == 1
    referral_conclude(org=org_a, referral=referral, outcome="Debtor pays in full", binding=False,
                      concluded_on=date(2026, 3, 24), actor=system, now=day(date(2026, 3, 24)))
    dispute_resolve(org=org_a, dispute=dispute, resolution="Agreed in mediation", actor=system,
                    now=day(date(2026, 3, 24)))
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert not Pause.objects.filter(lifted_at__isnull=True).exists()


def test_the_sla_clock_lists_disputes_waiting_too_long(dispute, org_a, org_b, debtor, make_invoice, system, now):
    b = debtor(org_b, "B001")
    dispute_open(org=org_b, customer=b, invoices=[make_invoice(org_b, b, "B-1", "10.00", due=date(2026, 3, 1))],
                 category="other", amount_minor=None, message="?", actor=debtor_actor(b), now=day(date(2026, 3, 1)))
    assert list(disputes_past_sla(org=org_a, today=date(2026, 3, 16))) == []
    assert list(disputes_past_sla(org=org_a, today=date(2026, 3, 17))) == [dispute]
    settings_update(org=org_a, values={"dispute_sla_days": 30}, actor=system, now=now)
    assert settings_for(org_a).dispute_sla_days == 30
    assert list(disputes_past_sla(org=org_a, today=date(2026, 3, 17))) == []
    with pytest.raises(ArrangementError, match="grace_days"):
        settings_update(org=org_a, values={"grace_days": -1}, actor=system, now=now)
