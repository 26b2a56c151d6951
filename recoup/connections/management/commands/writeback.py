"""recoup writeback [--org SLUG] [--now ISO]: write the payments Recoup recorded to the connected
books (the worker does this after each sync; this runs it by hand)."""

from __future__ import annotations

from recoup.connections.writeback import writeback_run
from recoup.lib.command import OrgCommand, add_now_argument, command_now


class Command(OrgCommand):
    help = "Write payments recorded in Recoup back to the books, each once."
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        add_now_argument(parser, "the time to act at (default: the clock)")

    def handle(self, *args, **options):
        now = command_now(options)
        report = writeback_run(now=now, org=self.org(options) if options["org"] else None)
        data = {"collected": report.collected, "written": report.written, "retried": report.retried,
                "failed": report.failed}
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
        else:
            self.stdout.write(", ".join(f"{v} {k}" for k, v in data.items()))
