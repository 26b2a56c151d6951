"""What the demo's debtors answer to the reminders delivered in the morning.

A business whose payment is in fact a few days away often writes back to say so: the reply
comes in as a real inbound e-mail (threaded on the reminder by In-Reply-To), so it is matched,
stored on the customer's log, opens a reply task and pauses the customer's automation until
the office reads it (``office``). Once, an out-of-office answer comes back instead: stored,
nothing paused. On the last working day a customer asks for a copy of an invoice with its PO
number, so the office finds a reply to read on the first morning. Disputes raised in the portal
are scenes (``scenes``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from recoup.demo.context import Demo
from recoup.demo.profiles import last_working_day
from recoup.ledger.models import Invoice
from recoup.messaging.inbound import record_inbound
from recoup.messaging.models import Direction, Message, MessageChannel, MessageStatus

REPLY_WITHIN = 7  # a debtor paying within this many days may say so
REPLY_SHARE = 0.5
CHASING_STEPS = ("first-reminder", "second-reminder", "final-notice")


def answer(demo: Demo, *, sent_at: datetime) -> None:
    """Replies to the cycle's e-mails delivered at ``sent_at``, arriving in the early afternoon."""
    sent = (Message.objects.for_org(demo.org).filter(channel=MessageChannel.EMAIL, direction=Direction.OUT,
                                                     status=MessageStatus.SENT, sent_at=sent_at, source="cycle",
                                                     step_key__in=CHASING_STEPS, customer__kind="business")
            .select_related("customer", "contact").order_by("id"))
    replied = False
    for message in sent:
        customer = message.customer
        if demo.busy(customer) or message.contact is None:
            continue
        overdue = Invoice.objects.for_org(demo.org).filter(customer=customer, open_minor__gt=0,
                                                           due_date__lt=demo.day).order_by("due_date", "number")
        coming = [(m.on, inv.number) for inv in overdue if (m := demo.next_payment(inv.number, demo.day))
                  and (m.on - demo.day).days <= REPLY_WITHIN]
        rng = demo.rng("reply", customer.ref, demo.day)
        if coming and rng.random() < REPLY_SHARE:
            on, number = min(coming)
            replied = True
            _reply(demo, message, at=demo.at(13, rng.randint(0, 50)), text=(
                f"Hello,\n\nThanks for the reminder. {number} is in our payment run on {on:%A %d %B}; "
                f"you should see it the same day.\n\nKind regards,\n{message.contact.name}\n{customer.legal_name}\n"))
        elif "away" not in demo.done and demo.day >= demo.today - timedelta(days=90) and not coming:
            demo.done.add("away")
            _reply(demo, message, at=demo.at(10, 1), automatic=True, text=(
                f"Thank you for your e-mail. I am out of the office until {demo.day + timedelta(days=7):%d %B} "
                f"with limited access to e-mail.\n\n{message.contact.name}\n"))
    if not replied and demo.day == last_working_day(demo.today):
        _last_word(demo)


def _last_word(demo: Demo) -> None:
    """A question about the latest chasing e-mail (of the last two weeks) to a business not waiting for
    today's reminder: left for the office to read today."""
    spared = {ref for ref, role in demo.story.todays.items() if role in ("reminder", "consumer-reminder")}
    recent = (Message.objects.for_org(demo.org).filter(
        channel=MessageChannel.EMAIL, direction=Direction.OUT, status=MessageStatus.SENT, source="cycle",
        step_key__in=CHASING_STEPS, customer__kind="business", contact__isnull=False,
        sent_at__gte=demo.at(0) - timedelta(days=14)).exclude(customer__ref__in=spared)
        .select_related("customer", "contact").order_by("-sent_at", "-id"))
    message = next(iter(recent), None)
    invoice = message and Invoice.objects.for_org(demo.org).filter(
        customer=message.customer, open_minor__gt=0).order_by("due_date", "number").first()
    if invoice is None:
        return
    _reply(demo, message, at=demo.at(14, 20), text=(
        f"Hello,\n\nCould you send us a copy of {invoice.number} with our purchase order number on it? Our "
        f"accounts system will not release a payment without one.\n\nThanks,\n{message.contact.name}\n"
        f"{message.customer.legal_name}\n"))


def _reply(demo: Demo, message: Message, *, at: datetime, text: str, automatic: bool = False) -> None:
    contact, org = message.contact, demo.org
    email = EmailMessage()
    email["From"] = formataddr((contact.name, contact.email))
    email["To"] = formataddr((org.legal_name, org.sender_email))
    email["Subject"] = f"{'Automatic reply' if automatic else 'Re'}: {message.subject.strip()}"
    email["Date"] = format_datetime(at)
    email["Message-ID"] = f"<{org.slug}.{message.pk}.{'auto' if automatic else 'reply'}@{contact.email.split('@')[1]}>"
    email["In-Reply-To"] = message.message_id
    email["References"] = message.message_id
    if automatic:
        email["Auto-Submitted"] = "auto-replied"
    email.set_content(text)
    record_inbound(raw_or_message=email, now=at, org=org)
