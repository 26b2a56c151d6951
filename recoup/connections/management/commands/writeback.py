"""recoup writeback [--org SLUG] [--now ISO]: write the payments Recoup recorded to the connected
books (the worker does this after each sync; this runs it by hand)."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.connections.writeback import writeback_run
from recoup.lib.command import OrgCommand


class Command(OrgCommand):
    help = "Write payments recorded in Recoup back to the books, each once."
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--now", default="", help="the time to act at (ISO 8601 with offset; default: now)")

    def handle(self, *args, **options):
        try:
            now = datetime.fromisoformat(options["now"]) if options["now"] else timezone.now()
        except ValueError:
            raise CommandError(f"--now: {options['now']!r} is not an ISO 8601 time") from None
        if now.tzinfo is None:
            raise CommandError("--now needs a UTC offset, e.g. 2026-03-31T09:00+00:00")
        report = writeback_run(now=now, org=self.org(options) if options["org"] else None)
        data = {"collected": report.collected, "written": report.written, "retried": report.retried,
                "failed": report.failed}
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
        else:
            self.stdout.write(", ".join(f"{v} {k}" for k, v in data.items()))
