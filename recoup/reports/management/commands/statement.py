"""recoup statement CUSTOMER_REF: a customer's statement with a running balance."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.ledger.models import Customer
from recoup.ledger.selectors import statement
from recoup.lib.command import OrgCommand, org_today, parse_date, render_table


class Command(OrgCommand):
    help = "A customer's statement as of a date, as a table, JSON or PDF."
    formats = ("table", "json", "pdf")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("customer_ref")
        parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD")
        parser.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")

    def handle(self, *args, **options):
        org = self.org(options)
        fmt, output = options["format"], options["output"]
        if fmt == "pdf" and output is None:
            raise CommandError("--format pdf needs --output FILE")
        customer = Customer.objects.for_org(org).filter(ref=options["customer_ref"]).first()
        if customer is None:
            raise CommandError(f"no customer {options['customer_ref']!r} in {org.slug}")
        st = statement(org=org, customer=customer, as_of=options["as_of"] or org_today(org, timezone.now()))
        if fmt == "pdf":
            from recoup.reports.statement_pdf import render_statement_pdf

            output.write_bytes(render_statement_pdf(st, org))
            self.stdout.write(f"wrote {output}")
            return
        text = json.dumps(st.as_json(), indent=2, ensure_ascii=False) if fmt == "json" else _table(st)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"wrote {output}")
        else:
            self.stdout.write(text)


def _table(st) -> str:
    parts = [f"Statement for {st.customer.name} ({st.customer.ref}) as of {st.as_of}\n"]
    money = ["debit", "credit", "balance"]
    for s in st.sections:
        rows = [["", "opening balance", "", "", "", "", str(s.opening_balance)]]
        rows += [[str(ln.date), ln.kind.replace("_", " "), ln.reference, ln.description, str(ln.debit),
                  str(ln.credit), str(ln.balance)] for ln in s.lines]
        parts.append(render_table(["date", "kind", "reference", "description", *money], rows,
                                  title=f"{s.currency}: closing balance {s.closing_balance}", right=money))
        if s.open_invoices:
            parts.append(render_table(
                ["invoice", "issued", "due", "days overdue", "open"],
                [[o.number, str(o.issue_date), str(o.due_date), str(o.days_overdue), str(o.open_amount)]
                 for o in s.open_invoices],
                title=f"Open invoices ({s.currency})", right=["days overdue", "open"]))
    return "".join(parts).rstrip("\n")
