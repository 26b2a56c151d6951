"""recoup arrangements-check --date YYYY-MM-DD: move plans, promises and settlements on for a day."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.arrangements.check import arrangements_check
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date
from recoup.orgs.models import Organization


class Command(OrgCommand):
    help = ("Daily check of arrangements: break plans with a missed instalment and promises not kept, "
            "complete paid plans, settle paid settlements, lapse expired ones, remind before instalments. "
            "Without --org, every organization runs.")
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD",
                            help="the day to check for (default: today in each organization's time zone)")
        add_now_argument(parser)

    def handle(self, *args, **options):
        now = command_now(options)
        orgs = [self.org(options)] if options["org"] else list(Organization.objects.order_by("slug"))
        if not orgs:
            raise CommandError("no organization yet: create one with `recoup org create SLUG ...`")
        results = [(org, arrangements_check(org=org, on=options["date"] or org_today(org, now), now=now))
                   for org in orgs]
        if options["format"] == "json":
            data = results[0][1].as_json() if len(orgs) == 1 else \
                [{"org": org.slug, **r.as_json()} for org, r in results]
            self.report("json", headers=[], rows=[], data=data)
            return
        for org, result in results:
            rows = [(e["event"], e["arrangement"], e["customer_ref"], e["detail"]) for e in result.events]
            counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
            self.report("table", headers=["event", "arrangement", "customer", "detail"], rows=rows,
                        title=f"Arrangements of {org.slug} on {result.date} ({counts})")
