"""recoup webhooks-deliver: turn new audit events into webhook deliveries and deliver what is due."""

from __future__ import annotations

from recoup.api.webhooks.tasks import run_once
from recoup.lib.command import OrgCommand, add_now_argument, command_clock


class Command(OrgCommand):
    help = ("Dispatch new events to webhook endpoints and deliver every due delivery (all organizations); "
            "the worker does this by itself, this is for cron or to catch up now.")
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        add_now_argument(parser, "the time to deliver as of (default: the clock)")

    def handle(self, *args, **options):
        org = self.org(options) if options["org"] else None
        report = run_once(clock=command_clock(options), org=org)
        data = {"dispatched": report.dispatched, "delivered": report.delivered, "retried": report.retried,
                "failed": report.failed}
        self.report(options["format"], headers=list(data), rows=[list(data.values())], data=data,
                    title="Webhooks")
