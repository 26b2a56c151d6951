"""A year of collections, lived one day at a time through the real actions.

For every day of the story (``story.start`` up to yesterday) the business does what a real
one on Recoup does, in the order of the day (the organization's local time):

- 07:00 the scheduler's work: the arrangements check, case reminders, the daily cycle;
- 09:00 the day's ledger movements (invoices issued, payments, credit notes, fees);
- from 09:15 the office's work (``office``): drafts approved, replies read, calls made and
  logged (promises taken), escalation reviews decided, the story's scenes (``scenes``);
- 10:00 and 16:00 delivery (British and European debtors in the morning, American ones in
  the afternoon, each in their own contact window); the debtors answer (``debtors``);
- 18:00 the bank statement is imported (``bank``).

Past messages never leave: delivery runs through ``recorded_channels``, which records
e-mails and text messages as sent without handing them to any mail server, SMS provider or
file (a year of reminders in ``var/mail/`` would bury the day's, and a real mail server must
never see them), and letters as posted; calls go to the call queue (their real channel only
writes to the database), and on the last working day letters go to the print batch, as they
would. Whatever is still waiting at the end (held for a weekend, say) is left to the real
worker, like the messages of today's cycle, which the scheduler runs once ``make run`` starts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from recoup.arrangements.check import arrangements_check
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.cycle import cycle_run
from recoup.demo import bank, debtors, office, scenes
from recoup.demo.context import Demo
from recoup.demo.ledger_moves import dated
from recoup.demo.profiles import InvoicePlan, Move, MoveKind
from recoup.escalation.case_actions import case_reminders
from recoup.messaging.channels import Channel, SendResult, channel_for
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import MessageChannel, MessageStatus

SYSTEM = Actor.system("scheduler")


class _Recorded(Channel):
    """A past e-mail or SMS: recorded as sent, handed to nobody; a past letter: recorded as posted (the
    print batch of a day long gone is not worth rendering, and nothing is printed)."""

    def send(self, message) -> SendResult:
        posted = message.channel == MessageChannel.LETTER
        return SendResult(provider_id="demo-history", status=MessageStatus.POSTED if posted else MessageStatus.SENT)


def recorded_channels(*, batch_letters: bool):
    """The channels of the history's delivery: e-mail and SMS recorded, calls to the call queue, letters
    recorded as posted or (the last days, ``batch_letters``) to the print batch."""
    real = (MessageChannel.CALL, MessageChannel.LETTER) if batch_letters else (MessageChannel.CALL,)

    def channels(name: str, *, now: datetime) -> Channel:
        return channel_for(name, now=now) if name in real else _Recorded(now=now)
    return channels


def write_history(demo: Demo, progress: Callable[[list[date]], Iterable[date]] = iter) -> None:
    """The ledger before the story starts, then every day of the story (through ``progress``, which may
    show a progress bar), then today's ledger movements."""
    events = dated(demo.plan.invoices, demo.plan.moves)
    by_day: dict[date, list[InvoicePlan | Move]] = defaultdict(list)
    for on, item in events:
        if isinstance(item, Move) and item.kind == MoveKind.PAYMENT and item.named:
            demo.payments.setdefault(item.invoice_number, []).append(item)
        if on < demo.story.start:
            demo.ledger.write(item, on, _nine(demo, on))
        else:
            by_day[on].append(item)
    scenes.prepare(demo)
    days = [demo.story.start + timedelta(days=n) for n in range((demo.today - demo.story.start).days)]
    for day in progress(days):
        demo.day = day
        _live(demo, by_day.get(day, []))
    demo.day = demo.today
    for item in by_day.get(demo.today, []):
        demo.ledger.write(item, demo.today, _nine(demo, demo.today))


def _nine(demo: Demo, on: date) -> datetime:
    return min(datetime.combine(on, time(9), tzinfo=ZoneInfo(demo.org.timezone)), demo.now)


def _live(demo: Demo, ledger_items: list[InvoicePlan | Move]) -> None:
    """One day, in one savepoint, its audit events appended to the chain in one go."""
    org, day = demo.org, demo.day
    with transaction.atomic(), audit.batch():
        morning = demo.at(7)
        arrangements_check(org=org, on=day, now=morning)
        case_reminders(org=org, on=day, now=morning, actor=SYSTEM)
        cycle_run(org=org, on=day, now=morning)
        direct, statement = bank.split(demo, ledger_items)
        for item in direct:
            demo.ledger.write(item, day, demo.at(9))
        for work in demo.agenda.pop(day, []):
            work(demo.at(9, 5))
        office.morning(demo)
        channels = recorded_channels(batch_letters=office.leave_for_today(demo, office.LEAVE_LETTERS))
        deliver_due(now=demo.at(10), org=org, channels=channels)
        office.midday(demo)
        scenes.today(demo)
        debtors.answer(demo, sent_at=demo.at(10))
        deliver_due(now=demo.at(16), org=org, channels=channels)
        bank.import_day(demo, statement)
