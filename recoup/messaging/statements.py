"""The statement a reminder carries: rendered once, on the message's first delivery attempt.

Rendering a PDF takes a tenth of a second or more; the daily cycle queues thousands of
messages, so it only notes the date (``Message.statement_as_of``) and delivery renders
and stores the PDF with the message. A retry after a crash finds it stored and sends the
same bytes. A message that waited (the window, a weekend) has its date moved to the debtor's day
of that first attempt just before (``send_dates.fill_send_dates``), so the statement shows the
payments made meanwhile.
"""

from __future__ import annotations

from django.db import transaction

from recoup.ledger.selectors import statement
from recoup.messaging.models import Attachment, Message
from recoup.reports.statement_pdf import render_statement_pdf


def statement_filename(message: Message) -> str:
    return f"statement-{message.customer.ref}-{message.statement_as_of.isoformat()}.pdf"


def attach_statement(message: Message) -> None:
    """Store the statement PDF with ``message`` if it asks for one and does not have it yet."""
    if message.statement_as_of is None:
        return
    name = statement_filename(message)
    if message.attachments.filter(filename=name).exists():
        return
    pdf = render_statement_pdf(
        statement(org=message.org, customer=message.customer, as_of=message.statement_as_of), message.org
    )
    with transaction.atomic():
        Attachment.objects.create(message=message, filename=name, content_type="application/pdf", data=pdf)
