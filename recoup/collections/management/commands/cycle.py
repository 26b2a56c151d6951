"""recoup cycle --date YYYY-MM-DD [--dry-run]: run the daily collections cycle."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.collections.actions import CollectionsError
from recoup.collections.cycle import cycle_run
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date
from recoup.orgs.models import Organization


class Command(OrgCommand):
    help = ("Decide and queue today's reminders: one message per customer at the most advanced step due. "
            "Without --org, every organization runs.")
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD",
                            help="the day to run for (default: today in each organization's time zone)")
        add_now_argument(parser, "the time to run at: messages' send windows and times (default: the clock)")
        parser.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
        parser.add_argument("--full", action="store_true",
                            help="read every customer, not only those the stored schedule says have a step due")

    def handle(self, *args, **options):
        now = command_now(options)
        orgs = [self.org(options)] if options["org"] else list(Organization.objects.order_by("slug"))
        if not orgs:
            raise CommandError("no organization yet: create one with `recoup org create SLUG ...`")
        try:
            results = [cycle_run(org=org, on=options["date"] or org_today(org, now), now=now,
                                 dry_run=options["dry_run"], full=options["full"]) for org in orgs]
        except CollectionsError as exc:
            raise CommandError(str(exc)) from None
        if options["format"] == "json":
            data = results[0].as_json() if len(orgs) == 1 else \
                [{"org": org.slug, **r.as_json()} for org, r in zip(orgs, results)]
            self.report("json", headers=[], rows=[], data=data)
            return
        for org, result in zip(orgs, results):
            rows = [(a.customer_ref, ", ".join(a.invoices), a.step, a.channel, a.status, a.reason or "")
                    for a in result.actions]
            title = f"Cycle of {org.slug} for {result.date}{' (dry run: nothing written)' if result.dry_run else ''}"
            self.report("table", headers=["customer", "invoices", "step", "channel", "status", "reason"],
                        rows=rows, title=title)
            c = result.counts
            self.stdout.write(f"{c['queued']} queued, {c['draft']} draft{'s' * (c['draft'] != 1)} waiting for review, "
                              f"{c['deferred']} deferred, {c['blocked']} blocked")
