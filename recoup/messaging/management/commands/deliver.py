"""recoup deliver: drain the outbox once (for scripts, cron and tests)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from recoup.lib.command import add_now_argument, command_now
from recoup.messaging.delivery import deliver_due


class Command(BaseCommand):
    help = "Deliver every message that is due now (retries with backoff; safe to run in several processes)."

    def add_arguments(self, parser):
        add_now_argument(parser, "the time to deliver as of (default: the clock)")
        parser.add_argument("--limit", type=int, metavar="N", help="deliver at most N messages")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, **options):
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        report = deliver_due(now=command_now(options), limit=options["limit"])
        result = {"sent": report.sent, "retried": report.retried, "failed": report.failed}
        if options["format"] == "json":
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"sent {report.sent}, retried {report.retried}, failed {report.failed}")
