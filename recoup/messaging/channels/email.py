"""E-mail through Django's mail framework (configured by RECOUP_EMAIL_URL)."""

from __future__ import annotations

import smtplib
from email.header import Header
from email.message import Message as MimeMessage
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from recoup.core.text import one_line
from recoup.messaging import inbound
from recoup.messaging.channels.base import Channel, DeliveryError, SendResult
from recoup.messaging.models import Message
from recoup.messaging.rendering import email_text
from recoup.messaging.statements import attach_statement
from recoup.orgs.models import Membership, Role


class _Email(EmailMultiAlternatives):
    """Django's e-mail with the Subject folded as RFC 5322 wants: Django encodes a non-ASCII subject
    before it knows the header's name, so a long one starts on a continuation line ("Subject:" then
    a line break) and mail clients show it with a leading space."""

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        del msg["Subject"]
        charset = "us-ascii" if self.subject.isascii() else "utf-8"
        # Past Django's header check on purpose: the value is one line (``one_line``) and a Header
        # object folds with the name's length counted.
        MimeMessage.__setitem__(msg, "Subject", Header(self.subject, charset, header_name="Subject"))
        return msg


def reply_address(message: Message) -> str:
    """Where a reply reaches the organization: Recoup's inbound address for the customer, else the
    sender e-mail from Settings, else the owners' (else the collectors') own addresses; "" when the
    organization gave none at all."""
    found = inbound.reply_address(message.customer) or message.org.sender_email
    if found:
        return found
    for role in (Role.OWNER, Role.COLLECTOR):
        emails = (Membership.objects.filter(org=message.org, role=role).exclude(user__email="")
                  .order_by("pk").values_list("user__email", flat=True))
        if emails:
            return emails[0]
    return ""


def build_email(message: Message) -> EmailMultiAlternatives:
    """The e-mail for a message: text + HTML, attachments, its stored Message-ID, Reply-To its organization
    and, when delivery made one for this copy (``links.links_insert``), the customer's one-click unsubscribe
    (RFC 8058: ``List-Unsubscribe`` with ``List-Unsubscribe-Post``)."""
    org = message.org
    # Names and subjects go into headers on one line whatever they hold: a line break stored in a name
    # would otherwise fail every e-mail of the organization, or add a header ("Bcc: ...").
    name = one_line(org.legal_name)
    from_email = formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    # With an inbound domain, replies come back to Recoup tagged with the customer (see inbound.py).
    reply_to = reply_address(message)
    headers = {"Message-ID": message.message_id}
    unsubscribe = getattr(message, "list_unsubscribe_url", "")
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = _Email(
        subject=one_line(message.subject), body=email_text(message.body_text), from_email=from_email, to=[message.to_address],
        reply_to=[formataddr((name, reply_to))] if reply_to else None, headers=headers,
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
