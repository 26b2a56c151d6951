"""The operator's pages: lists with the SLA clock, plan, promise, settlement and dispute forms; roles; orgs."""

from __future__ import annotations

import re
from datetime import date

import pytest

from recoup.arrangements.actions import debtor_actor, dispute_open, plan_propose
from recoup.arrangements.models import (
    ArrangementSettings, Dispute, DisputeStatus, PaymentPlan, PlanStatus, Promise, Settlement, SettlementStatus,
)
from recoup.arrangements.settlement_actions import settlement_letter_pdf
from recoup.arrangements.tests.conftest import day

PDF = b"%PDF-1.4 delivery note"


@pytest.fixture
def disputed(owed, org_a):
    return dispute_open(org=org_a, customer=owed["customer"], invoices=[owed["inv1"]], category="quality",
                        amount_minor=None, message="Scratched <b>panels</b>",
                        attachments=[("note.pdf", "application/pdf", PDF)],
                        actor=debtor_actor(owed["customer"]), now=day(date(2026, 3, 10)))


def url(org, *parts) -> str:
    return f"/o/{org.slug}/arrangements/" + "".join(f"{p}/" for p in parts)


def test_the_list_shows_open_arrangements_and_disputes_past_their_sla(disputed, owed, org_a, as_user, frozen_clock):
    plan_propose(org=org_a, customer=owed["customer"], invoices=[owed["inv2"]], instalments=2, frequency="monthly",
                 first_date=date(2026, 4, 15), actor=debtor_actor(owed["customer"]), now=frozen_clock)
    page = as_user("viewer").get(url(org_a)).content.decode()
    assert f"#{disputed.pk}" in page and "21 days (past SLA)" in page  # opened 03-10, today 03-31, SLA 14
    assert "2 × monthly from 15 Apr 2026" in page
    assert "New payment plan" not in page  # a viewer only looks


def test_an_outsider_sees_nothing(disputed, org_a, as_user):
    client = as_user("outsider")
    assert client.get(url(org_a)).status_code == 404
    assert client.get(url(org_a, "disputes", disputed.pk)).status_code == 404


def test_a_collector_starts_a_plan_from_the_form(owed, org_a, as_user, frozen_clock):
    client = as_user("collector")
    chooser = client.get(url(org_a, "plans", "new")).content.decode()
    # The customer is typed by reference: no page lists every customer in a select.
    assert 'name="customer"' in chooser and '<select name="customer"' not in chooser
    by_ref = client.get(url(org_a, "plans", "new") + "?customer=C001").content.decode()
    assert owed["inv1"].number in by_ref
    response = client.post(url(org_a, "plans", "new") + f"?customer={owed['customer'].pk}", {
        "invoices": [owed["inv1"].pk], "instalments": "3", "frequency": "monthly", "first_date": "2026-04-30",
        "down_payment": "100.00", "note": "Agreed by phone"})
    plan = PaymentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == url(org_a, "plans", plan.pk)
    assert (plan.status, plan.down_payment_minor, plan.source) == (PlanStatus.ACTIVE, 10000, "operator")
    page = client.get(url(org_a, "plans", plan.pk)).content.decode()
    assert "Down payment" in page and "£166.66" in page and "£166.68" in page


def test_the_plan_form_refuses_another_customers_invoice(owed, org_a, debtor, make_invoice, as_user, frozen_clock):
    other = debtor(org_a, "C002")
    theirs = make_invoice(org_a, other, "INV-9", "50.00", due=date(2026, 3, 1))
    response = as_user("collector").post(url(org_a, "plans", "new") + f"?customer={owed['customer'].pk}", {
        "invoices": [theirs.pk], "instalments": "3", "frequency": "monthly", "first_date": "2026-04-30"})
    assert response.status_code == 200 and "not one of the available choices" in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_the_operator_accepts_or_rejects_a_proposed_plan(owed, org_a, as_user, frozen_clock, now):
    ArrangementSettings.objects.create(org=org_a, max_months=1, min_instalment_minor=100, max_balance_minor=10**8,
                                       updated_at=now)
    args = {"instalments": 4, "frequency": "monthly", "first_date": date(2026, 4, 15),
            "actor": debtor_actor(owed["customer"]), "now": frozen_clock}
    first = plan_propose(org=org_a, customer=owed["customer"], invoices=[owed["inv1"]], **args)
    second = plan_propose(org=org_a, customer=owed["customer"], invoices=[owed["inv2"]], **args)
    client = as_user("collector")
    assert "plans online may run up to 1" in client.get(url(org_a, "plans", first.pk)).content.decode()
    client.post(url(org_a, "plans", first.pk, "accept"))
    client.post(url(org_a, "plans", second.pk, "reject"), {"reason": "Too long; offer 2 months"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PlanStatus.ACTIVE, PlanStatus.REJECTED)
    assert as_user("viewer").post(url(org_a, "plans", first.pk, "cancel"), {"reason": "x"}).status_code == 403


def test_a_promise_from_the_form_and_its_horizon_error(owed, org_a, as_user, frozen_clock):
    client = as_user("collector")
    target = url(org_a, "promises", "new") + f"?customer={owed['customer'].pk}"
    late = client.post(target, {"invoices": [owed["inv2"].pk], "pay_by": "2026-06-01"})
    assert "no later than 2026-04-30" in late.content.decode()
    client.post(target, {"invoices": [owed["inv2"].pk], "pay_by": "2026-04-10", "amount": "150.00"})
    assert Promise.objects.get().amount_minor == 15000


def test_working_a_dispute_from_its_page(disputed, org_a, as_user, frozen_clock):
    client = as_user("collector")
    page = client.get(url(org_a, "disputes", disputed.pk)).content.decode()
    assert "Scratched &lt;b&gt;panels&lt;/b&gt;" in page and "note.pdf" in page
    client.post(url(org_a, "disputes", disputed.pk, "review"))
    client.post(url(org_a, "disputes", disputed.pk, "refer"),
                {"kind": "arbitration", "neutral_party": "Trade Arbitration Ltd", "referred_on": "2026-03-31"})
    disputed.refresh_from_db()
    assert disputed.status == DisputeStatus.ARBITRATION
    client.post(url(org_a, "disputes", disputed.pk, "credit"), {"number": "CN-7", "amount": "50.00",
                                                               "invoice": disputed.invoices.get().pk,
                                                               "reason": "Two panels replaced"})
    disputed.refresh_from_db()
    assert (disputed.status, disputed.credit_note.number) == (DisputeStatus.RESOLVED_CREDIT, "CN-7")


def test_an_attachment_downloads_only_within_its_organization(disputed, org_a, org_b, as_user):
    attachment = disputed.attachments.get()
    response = as_user("viewer").get(url(org_a, "disputes", disputed.pk, "attachments", attachment.pk))
    assert response.content == PDF
    assert response["Content-Disposition"] == 'attachment; filename="note.pdf"'
    assert as_user("outsider").get(url(org_a, "disputes", disputed.pk, "attachments", attachment.pk)).status_code == 404


def test_only_an_owner_offers_a_settlement_and_downloads_its_letter(owed, org_a, as_user, frozen_clock):
    target = url(org_a, "settlements", "new") + f"?customer={owed['customer'].pk}"
    form = {"invoices": [owed["inv1"].pk], "amount": "400.00", "deadline": "2026-04-15", "reason": "Hardship",
            "accepted": "on"}
    assert as_user("collector").post(target, form).status_code == 403
    response = as_user("owner").post(target, form)
    settlement = Settlement.objects.get()
    assert response.status_code == 302 and settlement.status == SettlementStatus.ACCEPTED
    settlement.letter_pdf = settlement_letter_pdf(settlement, paid_minor=40000, on=date(2026, 4, 15))
    settlement.save()
    letter = as_user("owner").get(url(org_a, "settlements", settlement.pk) + "letter.pdf")
    assert letter.content.startswith(b"%PDF-") and letter["Content-Type"] == "application/pdf"


def test_the_owner_sets_the_limits(org_a, as_user, frozen_clock):
    client = as_user("owner")
    assert "Longest plan online" in client.get(url(org_a, "settings")).content.decode()
    response = client.post(url(org_a, "settings"), {
        "max_months": "6", "min_instalment": "50.00", "max_balance": "2000", "promise_horizon_days": "14",
        "grace_days": "3", "reminder_days_before": "2", "dispute_sla_days": "10", "decision_days": "5"})
    assert response.status_code == 302
    saved = ArrangementSettings.objects.get(org=org_a)
    assert (saved.max_months, saved.min_instalment_minor, saved.max_balance_minor) == (6, 5000, 200000)
    assert as_user("collector").get(url(org_a, "settings")).status_code == 403
    assert Dispute.objects.count() == 0


def test_the_customer_section_partial_renders_open_arrangements(disputed, owed, org_a, rf, members):
    from django.template.loader import render_to_string

    from recoup.arrangements.selectors import open_arrangements
    from recoup.orgs.models import Membership

    request = rf.get("/")
    request.user = members["collector"]
    html = render_to_string("arrangements/_customer.html", {
        "org": org_a, "customer": owed["customer"], "membership": Membership.objects.get(user=members["collector"]),
        "arrangements": open_arrangements(org=org_a, customer=owed["customer"])}, request=request)
    assert f"Dispute #{disputed.pk}" in html and f"?customer={owed['customer'].ref}" in html
    assert "Offer a settlement" not in html  # owners only


def test_each_list_pages_on_its_own_and_plans_waiting_for_a_decision_come_first(owed, org_a, as_user, now):
    """A business with hundreds of arrangements sees every one of them, 50 a page per list, in the list's order."""
    customer, common = owed["customer"], {"org": org_a, "currency": "GBP", "created_by": "test", "created_at": now}
    Promise.objects.bulk_create(Promise(customer=customer, amount_minor=100 * (k + 1), made_on=date(2026, 3, 1),
                                        pay_by=date(2026, 4, 1 + k % 28), grace_days=0, source="operator", **common)
                                for k in range(120))
    plan = {"customer": customer, "total_minor": 1000, "instalment_count": 2, "frequency": "monthly",
            "first_date": date(2026, 4, 15), "start_date": date(2026, 3, 1), "source": "operator", **common}
    waiting = PaymentPlan.objects.bulk_create(PaymentPlan(status=PlanStatus.PROPOSED, **plan) for _ in range(3))
    PaymentPlan.objects.bulk_create(PaymentPlan(status=PlanStatus.ACTIVE, **plan) for _ in range(60))
    client = as_user("viewer")

    def promises_on(page: str) -> list[int]:
        section = page.split('id="promises"')[1].split('id="settlements"')[0]
        return [int(a) for a in re.findall(r"£(\d+)\.00", section)]

    first = client.get(url(org_a)).content.decode()
    order = sorted(Promise.objects.all(), key=lambda p: (p.pay_by, p.pk))
    assert promises_on(first) == [p.amount_minor // 100 for p in order[:50]]
    assert "Page 1 of 3" in first and 'href="?promises=2#promises"' in first
    last = client.get(url(org_a) + "?promises=3").content.decode()
    assert promises_on(last) == [p.amount_minor // 100 for p in order[100:]]
    # The plans, newest first, begin with the three proposals though they are the oldest.
    plans = re.findall(r'/arrangements/plans/(\d+)/">#', first.split('id="plans"')[1].split('id="promises"')[0])
    assert [int(pk) for pk in plans[:3]] == sorted((p.pk for p in waiting), reverse=True)
    assert len(plans) == 50 and "Page 1 of 2" in first
