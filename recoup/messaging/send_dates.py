"""Deadlines that count from the day a message is delivered, written in as it leaves.

The cycle renders a message on the day it decides the step, but the message may wait in the
outbox (the debtor's contact window, a holiday weekend, a worker down). A "please pay by" date
counted from the cycle's day would then give the debtor fewer days than the policy means (a
final notice queued on Friday and delivered on Tuesday: four days instead of seven). So the
cycle renders ``pay_by`` as a marker naming the days and the locale, e.g.
``⟦delivery + 7 days, en_GB⟧``, and delivery replaces it with the date that many days after the
debtor's local day of delivery, formatted as the rest of the message was. The filled text is
stored with the message before the channel sends it, so the record shows what the debtor read;
a retry after a failed attempt keeps the date of the first attempt. The customer's statement a
cycle e-mail carries is rendered on the first attempt as of the same day (not the cycle's).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from babel.dates import format_date

from recoup.core.compliance import DebtorFacts, debtor_zones
from recoup.messaging.models import Message, MessageStatus

MARKER = re.compile(r"\u27e6delivery \+ (\d{1,3}) days, ([A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,4})*)\u27e7")


def delivery_marker(days: int, locale: str) -> str:
    """The text standing for "``days`` after the day of delivery" until delivery fills it in."""
    return f"\u27e6delivery + {days} days, {locale}\u27e7"


def fill_dates(text: str, delivered_on: date) -> str:
    """``text`` with every marker replaced by its date counted from ``delivered_on``."""
    return MARKER.sub(lambda m: format_date(delivered_on + timedelta(days=int(m.group(1))), format="long",
                                            locale=m.group(2)), text)


def debtor_day(message: Message, *, now: datetime) -> date:
    """The debtor's local date at ``now`` (the first zone the gate's window respects)."""
    org, customer = message.org, message.customer
    facts = DebtorFacts(country=customer.country or org.country,
                        region=customer.region if customer.country else org.region,
                        timezone=customer.timezone or ("" if customer.country else org.timezone),
                        fallback_timezone=org.timezone)
    return now.astimezone(debtor_zones(facts)[0]).date()


def fill_send_dates(message: Message, *, now: datetime) -> bool:
    """Write the delivery-day dates into a claimed ``message`` (stored and in memory); True when it had any.
    A statement it carries and has not rendered yet is made as of the delivery day too, so it shows
    the payments made while the message waited."""
    if message.statement_as_of is not None and not message.attachments.filter(
            filename__startswith="statement-").exists():
        day = debtor_day(message, now=now)
        if day > message.statement_as_of:
            Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(statement_as_of=day)
            message.statement_as_of = day
    fields = ("subject", "body_text", "body_html")
    if not any(MARKER.search(getattr(message, name)) for name in fields):
        return False
    # The stored text, not the object's: a channel may put more into the object it sends.
    stored = Message.objects.filter(pk=message.pk).values(*fields).get()
    day = debtor_day(message, now=now)
    filled = {name: fill_dates(stored[name], day) for name in fields}
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(**filled)
    for name in fields:
        setattr(message, name, fill_dates(getattr(message, name), day))
    return True
