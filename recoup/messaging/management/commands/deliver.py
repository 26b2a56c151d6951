"""recoup deliver: drain the outbox once (for scripts, cron and tests)."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recoup.messaging.delivery import deliver_due


def _parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--now {text!r} is not an ISO date-time (use e.g. 2026-03-31T09:00:00+00:00)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.get_default_timezone())


class Command(BaseCommand):
    help = "Deliver every message that is due now (retries with backoff; safe to run in several processes)."

    def add_arguments(self, parser):
        parser.add_argument("--now", metavar="ISO-DATETIME", help="the time to deliver as of (default: the clock)")
        parser.add_argument("--limit", type=int, metavar="N", help="deliver at most N messages")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, **options):
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        now = _parse_now(options["now"]) if options["now"] else timezone.now()
        report = deliver_due(now=now, limit=options["limit"])
        result = {"sent": report.sent, "retried": report.retried, "failed": report.failed}
        if options["format"] == "json":
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"sent {report.sent}, retried {report.retried}, failed {report.failed}")
