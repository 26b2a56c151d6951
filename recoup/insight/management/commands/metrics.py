"""recoup metrics --as-of DATE [--currency C] [--months N]: DSO, CEI, percent current, aging trend."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.insight import selectors, tables
from recoup.lib.command import OrgCommand, org_today, parse_date


class Command(OrgCommand):
    help = "Collection metrics as of a date, per currency (definitions in docs/metrics.md)."
    formats = ("table", "json", "csv")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="default: today")
        parser.add_argument("--currency", metavar="CODE", help="only this currency (e.g. EUR)")
        parser.add_argument("--months", type=int, default=12, help="months of aging trend (default 12)")
        parser.add_argument("--customers", action="store_true", help="add per-customer habits (JSON only)")

    def handle(self, *args, **options):
        org = self.org(options)
        on = options["as_of"] or org_today(org, timezone.now())
        if not 0 < options["months"] <= 120:
            raise CommandError("--months: give 1 to 120")
        summaries = selectors.org_metrics(org=org, on=on, months=options["months"])
        if options["currency"]:
            wanted = options["currency"].upper()
            summaries = [s for s in summaries if s.currency == wanted]
            if not summaries:
                raise CommandError(f"--currency: no invoices in {wanted} (known: "
                                   f"{', '.join(selectors.currencies(org)) or 'none'})")
        if options["format"] == "json":
            data = {"org": org.slug, "as_of": on.isoformat(), "currencies": [tables.summary_json(s) for s in summaries]}
            if options["customers"]:
                data["customers"] = {
                    s.currency: [{"ref": c.customer.ref, **c.habits.as_json(), "customer": c.customer.name}
                                 for c in selectors.customer_insights(org=org, on=on, currency=s.currency)]
                    for s in summaries}
            self.report("json", headers=[], rows=[], data=data)
            return
        for s in summaries:
            for t in (tables.metrics_table(s), tables.trend_table(s)):
                self.report(options["format"], headers=t.headers, rows=t.rows, title=f"{t.title} as of {on}")
