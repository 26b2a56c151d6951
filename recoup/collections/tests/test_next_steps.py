"""The next step shown per invoice is the one the cycle then takes, on the day shown."""

from __future__ import annotations

from datetime import date, timedelta

from recoup.collections.actions import pause_add
from recoup.collections.cycle import cycle_run
from recoup.collections.models import DecisionStatus, StepDecision
from recoup.collections.next_steps import next_steps
from recoup.collections.tests.conftest import at


def test_each_shown_next_step_is_what_the_cycle_decides_on_that_day(org_a, five_step, debtor, make_invoice):
    customer = debtor(org_a, "C1")
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 2, 2))
    today = date(2026, 1, 20)
    taken = []
    while (step := next_steps(org=org_a, customer_ids=[customer.pk], today=today).get(invoice.pk)) is not None:
        # Nothing is decided on the days before the one shown...
        if step.on > today:
            cycle_run(org=org_a, on=step.on - timedelta(days=1), now=at(step.on - timedelta(days=1)))
            assert not StepDecision.objects.filter(invoice=invoice, step_key=step.step_key).exists()
        # ...and on that day the cycle decides exactly that step.
        cycle_run(org=org_a, on=step.on, now=at(step.on))
        decision = StepDecision.objects.get(invoice=invoice, step_key=step.step_key, number=step.number)
        assert (decision.decided_on, decision.status) == (step.on, DecisionStatus.DUE)
        taken.append((step.step_key, step.on))
        today = step.on
    assert taken == [("pre-due", date(2026, 1, 30)), ("first-reminder", date(2026, 2, 5)),
                     ("second-reminder", date(2026, 2, 12)), ("final-notice", date(2026, 2, 22)),
                     ("last-notice", date(2026, 3, 4))]


def test_a_late_look_shows_the_step_the_cycle_catches_up_to_today(org_a, five_step, debtor, make_invoice):
    customer = debtor(org_a, "C1")
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 2, 2))
    step = next_steps(org=org_a, customer_ids=[customer.pk], today=date(2026, 2, 25))[invoice.pk]
    assert (step.step_key, step.on) == ("final-notice", date(2026, 2, 25))
    cycle_run(org=org_a, on=date(2026, 2, 25), now=at(date(2026, 2, 25)))
    assert StepDecision.objects.get(invoice=invoice, status=DecisionStatus.DUE).step_key == "final-notice"


def test_a_pause_holds_the_step_until_the_day_after_it_ends(org_a, five_step, debtor, make_invoice, system, now):
    customer = debtor(org_a, "C1")
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 2, 2))
    pause_add(org=org_a, customer=customer, invoice=invoice, reason="Waiting for a PO", starts_on=date(2026, 2, 1),
              ends_on=date(2026, 2, 9), actor=system, now=now)
    step = next_steps(org=org_a, customer_ids=[customer.pk], today=date(2026, 2, 6))[invoice.pk]
    assert (step.step_key, step.on, step.held) == ("first-reminder", date(2026, 2, 10), "Waiting for a PO")


def test_next_steps_never_reads_another_organizations_invoices(org_a, org_b, five_step, debtor, make_invoice):
    theirs = debtor(org_b, "B1")
    make_invoice(org_b, theirs, "B-1", "10.00", issue=date(2026, 1, 1), due=date(2026, 2, 2))
    assert next_steps(org=org_a, customer_ids=[theirs.pk], today=date(2026, 2, 6)) == {}
