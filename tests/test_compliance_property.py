"""Acceptance (issue 4): random customers, places, policies, payments, disputes, plans and opt-outs;
the daily cycle and hourly delivery run for months; then, over everything delivered:

- nothing was delivered outside the debtor's contact window (in every zone of its country
  where its own zone is unknown), nor an automated e-mail or SMS outside the organization's
  send window (the whole day, or the default weekday mornings);
- no customer got more than the cap of messages in any 7 days;
- no opted-out channel was used after the opt-out;
- nothing automatic went during a hold (a plan on the customer, a dispute on a listed invoice);
- no statutory business-to-business charge landed on a consumer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings, strategies as st

from recoup.core.calendar import BusinessCalendar
from recoup.core.rules import jurisdiction_for, rules_in_force

pytestmark = pytest.mark.django_db
UTC = timezone.utc
START = date(2026, 1, 5)
DAYS = 70
CAP, CAP_DAYS = 3, 7
# (country, region, time zone or "" for unknown, currency) and the zones that must all be in the window.
PLACES = {
    "london": ("GB", "", "Europe/London", "GBP", ("Europe/London",)),
    "uk-unknown": ("GB", "", "", "GBP", ("Europe/London",)),
    "california": ("US", "CA", "America/Los_Angeles", "USD", ("America/Los_Angeles",)),
    "us-unknown": ("US", "", "", "USD", ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                                         "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu")),
    "berlin": ("DE", "BY", "Europe/Berlin", "EUR", ("Europe/Berlin",)),
    "france-unknown": ("FR", "", "", "EUR", ("Europe/Paris",)),
    "amsterdam": ("NL", "", "Europe/Amsterdam", "EUR", ("Europe/Amsterdam",)),
}
POLICIES = {
    "dense": [  # steps close together: the cap and the call frequency have work to do
        {"key": "pre-due", "name": "Note", "offset_days": -2, "channels": ["email"]},
        {"key": "first-reminder", "name": "First", "offset_days": 1, "channels": ["email", "sms"]},
        {"key": "second-reminder", "name": "Second", "offset_days": 3, "channels": ["email", "sms"]},
        {"key": "call", "name": "Call", "offset_days": 4, "channels": ["call"], "repeat_every_days": 1,
         "repeat_max": 9},
        {"key": "final-notice", "name": "Final", "offset_days": 6, "channels": ["email", "letter"],
         "action": "interest"},
    ],
    "with-interest": [
        {"key": "first-reminder", "name": "First", "offset_days": 3, "channels": ["email"]},
        {"key": "second-reminder", "name": "Second", "offset_days": 14, "channels": ["email", "sms"]},
        {"key": "final-notice", "name": "Final", "offset_days": 30, "channels": ["email", "letter"],
         "action": "interest", "repeat_every_days": 14, "repeat_max": 3},
        {"key": "letter-before-action", "name": "LBA", "offset_days": 45, "channels": ["letter"],
         "action": "escalation_review"},
    ],
}
DELIVERED = ("sent", "batched", "posted", "open", "done")
# The organization's send window: the whole day (the law's window alone decides) or the default.
SEND_WINDOWS = {"any-time": (time(0), time(23, 59), "1234567"), "default": (time(9), time(12), "12345")}


@dataclass(frozen=True)
class Plan:
    place: str
    kind: str
    dues: tuple[int, ...]  # days after START (negative: before)
    opt_out_day: int | None
    opt_out_channel: str
    pay_day: int | None
    hold: tuple[int, int] | None  # plan on the customer: first and last day
    dispute: tuple[int, int] | None  # on the first invoice


customers = st.builds(
    Plan, place=st.sampled_from(sorted(PLACES)), kind=st.sampled_from(["consumer", "business"]),
    dues=st.lists(st.integers(-40, 30), min_size=1, max_size=2).map(tuple),
    opt_out_day=st.none() | st.integers(0, DAYS), opt_out_channel=st.sampled_from(["email", "sms", "phone"]),
    pay_day=st.none() | st.integers(5, DAYS), hold=st.none() | st.tuples(st.integers(0, 40), st.integers(0, 25))
    .map(lambda t: (t[0], t[0] + t[1])), dispute=st.none() | st.tuples(st.integers(0, 40), st.integers(0, 25))
    .map(lambda t: (t[0], t[0] + t[1])))


@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=st.lists(customers, min_size=2, max_size=4), policy=st.sampled_from(sorted(POLICIES)),
       window=st.sampled_from(sorted(SEND_WINDOWS)))
def test_months_of_cycles_and_deliveries_keep_every_contact_rule(plans, policy, window, system, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.RECOUP_SMS_URL = f"file://{tmp_path}"  # the text messages go to a folder of the test's own
    with transaction.atomic():
        _simulate_and_check(plans, policy, SEND_WINDOWS[window], system)
        transaction.set_rollback(True)


def _day(n: int) -> date:
    return START + timedelta(days=n)


def _simulate_and_check(plans: list[Plan], policy: str, window: tuple, system) -> None:
    from recoup.collections.actions import pause_add, policy_load
    from recoup.collections.cycle import cycle_run
    from recoup.ledger.models import Contact, Customer
    from recoup.ledger.actions import LineInput, invoice_create, payment_record
    from recoup.messaging.delivery import deliver_due
    from recoup.orgs.actions import org_create
    from decimal import Decimal

    t0 = datetime.combine(START, time(0), tzinfo=UTC)
    org = org_create(slug="prop", legal_name="Property Test Ltd", currency="GBP", country="GB",
                     timezone="Europe/London", actor=system, now=t0)
    org.sender_email = "accounts@prop.example"
    org.send_window_start, org.send_window_end, org.send_window_weekdays = window
    org.save(update_fields=["sender_email", "send_window_start", "send_window_end", "send_window_weekdays"])
    policy_load(org=org, actor=system, now=t0, make_default_for="", data={"name": policy, "steps": POLICIES[policy]})
    made = []
    events: dict[int, list] = {}
    for i, plan in enumerate(plans):
        country, region, tz, currency, _ = PLACES[plan.place]
        customer = Customer.objects.create(org=org, ref=f"C{i}", legal_name=f"Debtor {i}", kind=plan.kind,
                                           country=country, region=region, timezone=tz)
        contact = Contact.objects.create(org=org, customer=customer, name=f"Debtor {i}", email=f"d{i}@debtor.example",
                                         phone=f"+4477009001{i:02d}", postal_address=f"{i} Road\nTown")
        invoices = [invoice_create(org=org, customer=customer, number=f"C{i}-INV{chr(65 + k)}",
                                   issue_date=_day(due - 30), due_date=_day(due), currency=currency,
                                   lines=[LineInput(description="Goods", quantity=Decimal(1),
                                                    unit_price=Decimal(150 + 1000 * k))], actor=system, now=t0)
                    for k, due in enumerate(plan.dues)]
        made.append((plan, customer, contact, invoices))
        if plan.opt_out_day is not None:
            events.setdefault(plan.opt_out_day, []).append(("opt_out", contact, plan.opt_out_channel))
        if plan.pay_day is not None:
            events.setdefault(plan.pay_day, []).append(("pay", customer, invoices[-1]))
        if plan.hold:
            events.setdefault(plan.hold[0], []).append(("hold", customer, None, plan.hold))
        if plan.dispute:
            events.setdefault(plan.dispute[0], []).append(("hold", customer, invoices[0], plan.dispute))

    for n in range(DAYS):
        day = _day(n)
        morning = datetime.combine(day, time(7), tzinfo=ZoneInfo("Europe/London"))
        for event in events.get(n, []):
            if event[0] == "opt_out":
                _, contact, channel = event
                setattr(contact, f"opt_out_{channel}", True)
                contact.save(update_fields=[f"opt_out_{channel}"])
            elif event[0] == "pay":
                _, customer, invoice = event
                invoice.refresh_from_db()
                payment_record(org=org, customer=customer, date=day, amount_minor=invoice.open_minor // 2 + 1,
                               currency=invoice.currency, actor=system, now=morning, invoice=invoice)
            else:
                _, customer, invoice, (first, last) = event
                reason = f"Dispute #{customer.pk}: wrong goods" if invoice else f"plan #{customer.pk}"
                pause_add(org=org, customer=customer, invoice=invoice, reason=reason, starts_on=_day(first),
                          ends_on=_day(last), actor=system, now=morning)
        cycle_run(org=org, on=day, now=morning)
        for hour in range(24):
            deliver_due(now=datetime.combine(day, time(hour), tzinfo=UTC))

    _check(org, made, events, window)


def _send_window_open(window: tuple, zones: tuple[str, ...], at: datetime) -> bool:
    start, end, weekdays = window
    for name in zones:
        local = at.astimezone(ZoneInfo(name))
        if local.fold or not start <= local.time() < end or str(local.isoweekday()) not in weekdays:
            return False
    return True


def _window_open(kind: str, country: str, region: str, zones: tuple[str, ...], at: datetime) -> bool:
    calendar = BusinessCalendar(country, region or ("ENG" if country == "GB" else None))
    for name in zones:
        local = at.astimezone(ZoneInfo(name))
        if kind == "consumer":
            if not 8 <= local.hour < 21:
                return False
        elif not 9 <= local.hour < 17 or local.weekday() >= 5 or calendar.is_holiday(local.date()):
            return False
    return True


def _check(org, made, events, window: tuple) -> None:
    from recoup.ledger.models import Charge
    from recoup.messaging.models import Message

    delivered_any = 0
    for plan, customer, contact, invoices in made:
        country, region, _tz, _cur, zones = PLACES[plan.place]
        sent = list(Message.objects.for_org(org).filter(customer=customer, direction="out", status__in=DELIVERED)
                    .order_by("claimed_at"))
        delivered_any += len(sent)
        for m in sent:
            at = m.claimed_at
            if m.channel in ("email", "sms", "call"):
                assert _window_open(plan.kind, country, region, zones, at), \
                    f"{m.channel} to {customer.ref} ({plan.place}, {plan.kind}) at {at.isoformat()} outside the window"
            if m.channel in ("email", "sms") and m.source in ("cycle", "arrangements"):
                assert _send_window_open(window, zones, at), \
                    f"{m.channel} to {customer.ref} ({plan.place}) at {at.isoformat()} outside the send window"
            if plan.opt_out_day is not None and at.date() > _day(plan.opt_out_day):
                channel = {"email": "email", "sms": "sms", "phone": "call"}[plan.opt_out_channel]
                assert m.channel != channel, f"{channel} to {customer.ref} after opting out on {plan.opt_out_day}"
            local_days = {at.astimezone(ZoneInfo(z)).date() for z in zones}
            if m.source == "cycle" and plan.hold:
                first, last = _day(plan.hold[0]), _day(plan.hold[1])
                assert not all(first <= d <= last for d in local_days), f"{m.channel} to {customer.ref} during a plan"
            if m.source == "cycle" and plan.dispute:
                first, last = _day(plan.dispute[0]), _day(plan.dispute[1])
                if all(first <= d <= last for d in local_days):
                    assert invoices[0].number not in m.body_text, f"disputed {invoices[0].number} chased at {at}"
        capped = [m.claimed_at for m in sent if m.channel in ("email", "sms", "letter")]
        for i, t in enumerate(capped):
            within = [u for u in capped[: i + 1] if u > t - timedelta(days=CAP_DAYS)]
            assert len(within) <= CAP, f"{customer.ref}: {len(within)} messages in 7 days up to {t.isoformat()}"
        if plan.kind == "consumer":
            jurisdiction = jurisdiction_for(country, region)
            for charge in Charge.objects.for_org(org).filter(invoice__customer=customer):
                for rule_id in re.findall(r"\(([A-Z]{2}(?:-[A-Z]{2})?\.[a-z0-9.-]+)\)", charge.description):
                    rules = rules_in_force(jurisdiction, charge.invoice.due_date + timedelta(days=1), "consumer")
                    assert rule_id in rules, f"{rule_id} charged on consumer {customer.ref}"
                assert "Fixed compensation" not in charge.description or jurisdiction not in ("GB", "DE", "FR", "EU")
    assert delivered_any > 0, "the simulation delivered nothing: it would prove nothing"
