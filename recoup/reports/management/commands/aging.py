"""recoup aging: receivables by days past due, as of any date."""

from __future__ import annotations

import argparse

from django.utils import timezone

from recoup.core.aging import DEFAULT_EDGES, parse_edges
from recoup.core.money import quantize
from recoup.lib.command import OrgCommand, org_today, parse_date
from recoup.reports.aging import aging


def _edges(text: str) -> tuple[int, ...]:
    try:
        return parse_edges(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(OrgCommand):
    help = "Aging report as of a date (default: today in the organization's time zone)."
    formats = ("table", "json", "csv")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD")
        parser.add_argument("--by", choices=("customer", "invoice"), default="customer")
        parser.add_argument("--buckets", type=_edges, default=DEFAULT_EDGES, metavar="30,60,90")

    def handle(self, *args, **options):
        org = self.org(options)
        as_of = options["as_of"] or org_today(org, timezone.now())
        report = aging(org=org, as_of=as_of, edges=options["buckets"], by=options["by"])
        by_invoice = options["by"] == "invoice"
        headers = ["customer_ref", "customer", "currency", *(["invoice", "due_date"] if by_invoice else []),
                   *report.labels, "credit", "total"]
        rows = [[r.customer_ref, r.customer, r.currency, *([r.invoice_number, r.due_date] if by_invoice else []),
                 *(quantize(v, r.currency) for v in (*r.buckets, r.credit, r.total))]
                for r in report.rows]
        if options["format"] == "table":
            blank = ["", ""] if by_invoice else []
            rows += [["TOTAL", "", cur, *blank, *t.values()] for cur, t in sorted(report.totals.items())]
        self.report(options["format"], headers=headers, rows=rows, data=report.as_json(),
                    title=f"Aging of {org.legal_name} as of {as_of}", right=[*report.labels, "credit", "total"])
