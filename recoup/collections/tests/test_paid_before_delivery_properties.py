"""Property: no message ever asks for an amount that is not open at the moment it leaves (issue 21).

Random payments (in full or in part, on either of a debtor's invoices) at random times, and
delivery runs at random times over the days after the cycle queued its reminders, with the daily
cycle running each morning. A channel that records what it sends reads the ledger at the very
moment of sending: every invoice a sent message names must still be open, for the amount the
message states.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.collections.cycle import cycle_run
from recoup.core.money import format_money, from_minor
from recoup.ledger.actions import payment_record
from recoup.ledger.models import Invoice
from recoup.messaging.channels import Channel, SendResult
from recoup.messaging.delivery import deliver_due

THURSDAY = date(2026, 3, 5)  # the cycle runs each day at 07:00 UTC; the window is 09:00-12:00 in London
START = datetime.combine(THURSDAY, time(7), tzinfo=timezone.utc)
HOURS = 5 * 24
NUMBERS = ("INV-1", "INV-2", "INV-3")  # C1 owes INV-1 and INV-2, C2 owes INV-3

payment = st.tuples(st.just("pay"), st.integers(0, HOURS * 60), st.sampled_from(NUMBERS),
                    st.integers(1, 100))  # (kind, minute after the first cycle, invoice, percent of what is open)
delivery = st.tuples(st.just("deliver"), st.integers(0, HOURS * 60))


class _Rollback(Exception):
    pass


class Recorder(Channel):
    """Sends nothing; notes each message with the ledger as it stands at that instant."""

    sent: list[tuple[str, dict[str, int]]] = []

    def send(self, message) -> SendResult:
        open_now = dict(Invoice.objects.filter(customer=message.customer_id).values_list("number", "open_minor"))
        Recorder.sent.append((message.body_text, open_now))
        return SendResult(provider_id=f"recorded-{message.pk}")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(st.one_of(payment, delivery), min_size=1, max_size=8))
def test_no_message_asks_for_money_that_is_not_open_when_it_leaves(five_step, debtor, make_invoice, org_a, system,
                                                                   events):
    Recorder.sent = []
    try:
        with transaction.atomic():
            _play(org_a, system, debtor, make_invoice, events)
            raise _Rollback
    except _Rollback:
        pass
    for body, open_now in Recorder.sent:
        for number, open_minor in open_now.items():
            if number in body:
                assert open_minor > 0, f"{number} is settled but a message asking for it left:\n{body}"
                amount = format_money(from_minor(open_minor, "GBP"), "GBP", locale="en_GB")
                assert amount in body, f"{number} has {amount} open, the message says otherwise:\n{body}"


def _play(org, actor, debtor, make_invoice, events) -> None:
    c1, c2 = debtor(org, "C1"), debtor(org, "C2")
    make_invoice(org, c1, "INV-1", "100.00", issue=date(2026, 2, 1), due=date(2026, 3, 2))
    make_invoice(org, c1, "INV-2", "30.00", issue=date(2026, 2, 1), due=date(2026, 3, 2))
    make_invoice(org, c2, "INV-3", "55.50", issue=date(2026, 2, 1), due=date(2026, 3, 2))
    timeline = [(START + timedelta(days=d), ("cycle",)) for d in range(HOURS // 24)]
    timeline += [(START + timedelta(minutes=event[1]), event) for event in events]
    timeline.append((START + timedelta(hours=HOURS), ("deliver", HOURS * 60)))
    for when, event in sorted(timeline, key=lambda item: (item[0], item[1][0])):
        if event[0] == "cycle":
            cycle_run(org=org, on=when.date(), now=when)
        elif event[0] == "deliver":
            deliver_due(now=when, channels=lambda name, *, now: Recorder(now=now))
        else:
            invoice = Invoice.objects.get(org=org, number=event[2])
            amount = invoice.open_minor * event[3] // 100
            if amount > 0:
                payment_record(org=org, customer=invoice.customer, date=when.date(), amount_minor=amount,
                               currency=invoice.currency, actor=actor, now=when, invoice=invoice)
