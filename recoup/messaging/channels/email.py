"""E-mail through Django's mail framework (configured by RECOUP_EMAIL_URL)."""

from __future__ import annotations

import smtplib
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from recoup.core.text import one_line
from recoup.messaging import inbound
from recoup.messaging.channels.base import Channel, DeliveryError, SendResult
from recoup.messaging.models import Message
from recoup.messaging.statements import attach_statement


def build_email(message: Message) -> EmailMultiAlternatives:
    """The e-mail for a message: text + HTML, attachments, its stored Message-ID, Reply-To its organization."""
    org = message.org
    # Names and subjects go into headers on one line whatever they hold: a line break stored in a name
    # would otherwise fail every e-mail of the organization, or add a header ("Bcc: ...").
    name = one_line(org.legal_name)
    from_email = formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    # With an inbound domain, replies come back to Recoup tagged with the customer (see inbound.py).
    reply_address = inbound.reply_address(message.customer) or org.sender_email
    email = EmailMultiAlternatives(
        subject=one_line(message.subject), body=message.body_text, from_email=from_email, to=[message.to_address],
        reply_to=[formataddr((name, reply_address))] if reply_address else None,
        headers={"Message-ID": message.message_id},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.data), attachment.content_type)
    return email


def _refused(exc: smtplib.SMTPRecipientsRefused) -> DeliveryError:
    codes = [code for code, _ in exc.recipients.values()]
    detail = "; ".join(f"{addr}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                       for addr, (code, text) in exc.recipients.items())
    return DeliveryError(f"recipient refused: {detail}", permanent=bool(codes) and all(500 <= c < 600 for c in codes))


class EmailChannel(Channel):
    def send(self, message: Message) -> SendResult:
        attach_statement(message)
        email = build_email(message)
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc) from exc
        except smtplib.SMTPResponseException as exc:
            # A 5xx on MAIL FROM or DATA is about our server or content, not the
            # debtor's address: retry, and the operator gets a task if it keeps failing.
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise DeliveryError(f"SMTP {exc.smtp_code}: {text}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP connection: {exc}") from exc
        return SendResult(provider_id=message.message_id)
