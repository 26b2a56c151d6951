"""The stored schedule changes what the cycle reads, never what it decides.

Two organizations hold the same customers and live the same random months (new invoices,
payments, pauses, tags, policy edits, a customer turning consumer); one runs the cycle from
the schedule, the other reads everything every day. Their days must match exactly.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from recoup.collections.actions import customer_tag_add, customer_tag_remove, pause_add, pause_lift, policy_load, \
    policy_update
from recoup.collections.cycle import cycle_run
from recoup.collections.models import InvoiceChase, Pause, Policy, StepDecision
from recoup.collections.tests.conftest import at
from recoup.ledger.actions import payment_record
from recoup.ledger.customer_actions import customer_update
from recoup.ledger.models import Invoice

POLICY = """\
name: mixed
steps:
  - {key: pre-due, name: Note, offset_days: -3, channels: [email]}
  - {key: first-reminder, name: First, offset_days: 2, business_days: true, channels: [email]}
  - {key: nudge, name: Nudge, offset_days: 7, channels: [email], repeat_every_days: 5, repeat_max: 3}
  - {key: big-debt, name: Big debt, offset_days: 12, channels: [email], min_overdue: "250.00"}
  - {key: vip, name: VIP, offset_days: 15, channels: [email], tags: [vip]}
  - {key: business-only, name: Business, offset_days: 18, channels: [email], customer_kinds: [business]}
  - {key: final-notice, name: Final, offset_days: 25, channels: [email]}
"""
CUSTOMERS = 6


def _actions(result) -> list[tuple]:
    return sorted((a.customer_ref, a.invoices, a.step, a.channel, a.status) for a in result.actions)


def _decisions(org) -> list[tuple]:
    return sorted(StepDecision.objects.for_org(org).values_list(
        "customer__ref", "invoice__number", "step_key", "number", "status", "decided_on"))


class World:
    """The same business twice: ``orgs[0]`` reads the schedule, ``orgs[1]`` reads everything.
    The customers are all in GB, so both organizations count the same business days."""

    def __init__(self, orgs, debtor, make_invoice, system, seed):
        self.orgs, self.system, self.make_invoice = orgs, system, make_invoice
        self.rng = random.Random(seed)
        self.customers = {org.pk: [debtor(org, f"C{i:02}", country="GB") for i in range(CUSTOMERS)] for org in orgs}
        self.invoices = 0

    def both(self, do):
        for org in self.orgs:
            do(org, self.customers[org.pk])

    def live(self, day: date) -> None:
        rng = self.rng
        for _ in range(rng.randint(0, 2)):
            self.invoices += 1
            who, number = rng.randrange(CUSTOMERS), f"INV-{self.invoices:03}"
            amount, due = f"{rng.randint(50, 300)}.00", day + timedelta(days=rng.randint(-4, 20))
            self.both(lambda org, cs: self.make_invoice(org, cs[who], number, amount, issue=day - timedelta(days=30),
                                                        due=due))
        if rng.random() < 0.3:
            self._pay(day, rng.choice([1, 2]))
        if rng.random() < 0.15:
            who, on_invoice, length = rng.randrange(CUSTOMERS), rng.random() < 0.5, rng.choice([None, 3, 9])
            self.both(lambda org, cs: self._pause(org, cs[who], day, on_invoice, length))
        if rng.random() < 0.1:
            self.both(lambda org, cs: [pause_lift(org=org, pause=p, actor=self.system, now=at(day))
                                       for p in Pause.objects.for_org(org).filter(lifted_at__isnull=True)[:1]])
        if rng.random() < 0.1:
            who, add = rng.randrange(CUSTOMERS), rng.random() < 0.6
            tag = customer_tag_add if add else customer_tag_remove
            self.both(lambda org, cs: tag(org=org, customer=cs[who], tag="vip", actor=self.system, now=at(day)))
        if rng.random() < 0.05:
            offset = rng.choice([6, 7, 9])
            self.both(lambda org, cs: self._nudge_after(org, offset, day))
        if rng.random() < 0.05:
            who, kind = rng.randrange(CUSTOMERS), rng.choice(["business", "consumer"])
            self.both(lambda org, cs: customer_update(org=org, customer=cs[who], kind=kind, actor=self.system,
                                                      now=at(day)))

    def _pay(self, day: date, share: int) -> None:
        numbers = sorted(Invoice.objects.for_org(self.orgs[0]).filter(open_minor__gt=0).values_list("number",
                                                                                                     flat=True))
        if not numbers:
            return
        number = self.rng.choice(numbers)

        def pay(org, cs):
            invoice = Invoice.objects.for_org(org).get(number=number)
            payment_record(org=org, customer=invoice.customer, date=day, amount_minor=invoice.open_minor // share,
                           currency=invoice.currency, invoice=invoice, actor=self.system, now=at(day))

        self.both(pay)

    def _pause(self, org, customer, day, on_invoice, length):
        invoice = Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0).order_by("number").first()
        if on_invoice and invoice is None:
            return
        pause_add(org=org, customer=customer, invoice=invoice if on_invoice else None, reason="test",
                  starts_on=day, ends_on=day + timedelta(days=length) if length else None, actor=self.system,
                  now=at(day))

    def _nudge_after(self, org, offset, day):
        policy = Policy.objects.for_org(org).get(name="mixed")
        spec = dict(policy.spec)
        spec["steps"] = [dict(s, offset_days=offset) if s["key"] == "nudge" else s for s in spec["steps"]]
        policy_update(org=org, policy=policy, spec=spec, actor=self.system, now=at(day))


@pytest.mark.parametrize("seed, group", [(1, None), (2, None), (3, None), (4, 2)])
def test_the_schedule_decides_exactly_what_reading_everything_decides(seed, group, org_a, org_b, debtor, make_invoice,
                                                                      system, now, monkeypatch):
    if group:  # the customers to look at are read a few at a time, as when thousands have a step due
        monkeypatch.setattr("recoup.collections.cycle_facts.IN_LIST_MAX", group)
    for org in (org_a, org_b):
        policy_load(org=org, data=POLICY, actor=system, now=now, make_default_for="")
    world = World([org_a, org_b], debtor, make_invoice, system, seed)
    day = date(2026, 3, 2)
    for _ in range(75):
        world.live(day)
        scheduled = cycle_run(org=org_a, on=day, now=at(day))
        full = cycle_run(org=org_b, on=day, now=at(day), full=True)
        assert _actions(scheduled) == _actions(full), f"seed {seed}, {day}"
        refs = [a.customer_ref for a in scheduled.actions]
        assert refs == sorted(refs)  # customers are acted for in the order of their ref
        # Days without a message are skipped, not just the same: nothing is read without reason.
        day += timedelta(days=1 if world.rng.random() < 0.8 else 3)
    assert _decisions(org_a) == _decisions(org_b)
    assert len(_decisions(org_a)) > 50


def test_a_quiet_day_reads_no_customer(org_a, debtor, make_invoice, system, now):
    policy_load(org=org_a, data=POLICY, actor=system, now=now, make_default_for="")
    for i in range(5):
        make_invoice(org_a, debtor(org_a, f"C{i}", country="GB"), f"INV-{i}", "100.00", due=date(2026, 3, 5))
    first = cycle_run(org=org_a, on=date(2026, 3, 2), now=at(date(2026, 3, 2)))
    assert first.counts["customers"] == 5 and first.counts["queued"] == 5  # the pre-due note
    # The first reminder: two business days after Thursday 5 March.
    assert InvoiceChase.objects.filter(next_on=date(2026, 3, 9)).count() == 5
    for quiet_day in (3, 4, 5, 6):
        assert cycle_run(org=org_a, on=date(2026, 3, quiet_day), now=at(date(2026, 3, 2))).counts["customers"] == 0
    due = cycle_run(org=org_a, on=date(2026, 3, 9), now=at(date(2026, 3, 9)))
    assert due.counts["customers"] == 5 and due.counts["queued"] == 5


def test_a_payment_or_a_new_invoice_makes_the_cycle_look_again(org_a, debtor, make_invoice, system, now):
    policy_load(org=org_a, data=POLICY, actor=system, now=now, make_default_for="")
    customer = debtor(org_a, "C1", country="GB")
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 5))
    cycle_run(org=org_a, on=date(2026, 3, 2), now=at(date(2026, 3, 2)))
    assert cycle_run(org=org_a, on=date(2026, 3, 3), now=at(date(2026, 3, 3))).counts["customers"] == 0
    payment_record(org=org_a, customer=customer, date=date(2026, 3, 3), amount_minor=1000, currency="GBP",
                   invoice=invoice, actor=system, now=now)
    assert cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4))).counts["customers"] == 1
    assert cycle_run(org=org_a, on=date(2026, 3, 5), now=at(date(2026, 3, 5))).counts["customers"] == 0
    make_invoice(org_a, customer, "INV-2", "100.00", due=date(2026, 3, 8))
    looked = cycle_run(org=org_a, on=date(2026, 3, 6), now=at(date(2026, 3, 6)))
    assert looked.counts["customers"] == 1 and [a.step for a in looked.actions] == ["pre-due"]
