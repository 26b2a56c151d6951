"""recoup risk [--as-of DATE] [--currency C]: customers by explainable risk score; credit reviews due."""

from __future__ import annotations

from django.utils import timezone

from recoup.insight import selectors, tables
from recoup.lib.command import OrgCommand, org_today, parse_date


class Command(OrgCommand):
    help = "Risk score per customer with its factors, credit limit use, and credit checks due for yearly review."
    formats = ("table", "json", "csv")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="default: today")
        parser.add_argument("--currency", metavar="CODE", help="default: the organization's currency")

    def handle(self, *args, **options):
        org = self.org(options)
        on = options["as_of"] or org_today(org, timezone.now())
        cur = (options["currency"] or org.base_currency).upper()
        insights = selectors.customer_insights(org=org, on=on, currency=cur)
        due = selectors.credit_checks_due(org=org, on=on)
        if options["format"] == "json":
            data = {"org": org.slug, "as_of": on.isoformat(), "currency": cur,
                    "customers": [{"ref": c.customer.ref, "customer": c.customer.name, **c.risk.as_json(),
                                   "limit_use": None if c.limit_use is None else str(c.limit_use),
                                   "habits": c.habits.as_json()} for c in insights],
                    "credit_reviews_due": [{"ref": c.customer.ref, "checked_on": c.checked_on.isoformat(),
                                            "review_on": c.review_on.isoformat()} for c in due]}
            self.report("json", headers=[], rows=[], data=data)
            return
        t = tables.risk_table(insights)
        self.report(options["format"], headers=t.headers, rows=t.rows, title=f"{t.title} as of {on} ({cur})")
        if due and options["format"] == "table":
            self.report("table", headers=["Ref", "Checked", "Review by"],
                        rows=[(c.customer.ref, c.checked_on, c.review_on) for c in due], title="Credit reviews due")
