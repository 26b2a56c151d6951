"""recoup messages list [--customer REF] [--status S] [--channel C]: the outbox and the communication log."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.ledger.models import Customer
from recoup.lib.command import OrgCommand
from recoup.messaging.models import MessageChannel, MessageStatus
from recoup.messaging.selectors import LogEntry, attachment_names, outbox_and_log

HEADERS = ["id", "created_at", "customer", "channel", "direction", "status", "to", "summary", "who"]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def message_row(entry: LogEntry, attachments: list[str]) -> dict:
    m = entry.message
    return {"id": m.pk, "created_at": _iso(m.created_at), "customer": m.customer.ref, "channel": m.channel,
            "direction": m.direction, "status": m.status, "to": m.to_address, "subject": m.subject,
            "summary": entry.summary, "source": m.source, "who": entry.who, "actor": entry.actor, "step": m.step_key,
            "attempts": m.attempts, "next_attempt_at": _iso(m.next_attempt_at), "sent_at": _iso(m.sent_at),
            "last_error": m.last_error, "message_id": m.message_id, "attachments": attachments}


class Command(OrgCommand):
    help = "List messages newest first: those waiting in the outbox and those sent, received or logged."
    formats = ("table", "json", "csv")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the outbox and the log, newest first")
        super().add_arguments(listing)
        listing.add_argument("--customer", metavar="REF", help="one customer's messages")
        listing.add_argument("--status", action="append", choices=MessageStatus.values, default=[],
                             help="only these statuses (repeatable), e.g. queued and failed for what waits")
        listing.add_argument("--channel", choices=MessageChannel.values, default="")
        listing.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")

    def handle(self, *args, action, **options):
        org = self.org(options)
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        customer = None
        if options["customer"]:
            customer = Customer.objects.for_org(org).filter(ref=options["customer"]).first()
            if customer is None:
                raise CommandError(f"--customer: no customer {options['customer']!r} in {org.slug}")
        entries = outbox_and_log(org=org, customer=customer, statuses=options["status"], channel=options["channel"],
                                 limit=options["limit"])
        names = attachment_names(org=org, message_ids=[e.message.pk for e in entries])
        rows = [message_row(e, names.get(e.message.pk, [])) for e in entries]
        self.report(options["format"], headers=HEADERS, data=rows, rows=[[r[h] for h in HEADERS] for r in rows])
