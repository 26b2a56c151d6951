"""recoup evidence CUSTOMER_REF [--invoices N...] --output FILE.pdf [--zip FILE.zip]: the evidence pack."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from recoup.escalation.evidence import EvidenceError, evidence_files
from recoup.ledger.models import Customer
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date


class Command(OrgCommand):
    help = ("Build a customer's evidence pack: one PDF (summary, timeline, statement with interest and fees, "
            "invoices, terms and contracts, communication log, disputes, audit hashes, index) and a ZIP of the "
            "original files.")
    formats = ("text", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("customer_ref", metavar="CUSTOMER_REF")
        parser.add_argument("--invoices", nargs="+", metavar="N", help="only these invoice numbers")
        parser.add_argument("--output", required=True, type=Path, metavar="FILE.pdf")
        parser.add_argument("--zip", type=Path, metavar="FILE.zip", help="also write the ZIP of the original files")
        parser.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="as of (default: today)")
        add_now_argument(parser)

    def handle(self, *args, **options):
        org, now = self.org(options), command_now(options)
        customer = Customer.objects.for_org(org).filter(ref=options["customer_ref"]).first()
        if customer is None:
            raise CommandError(f"CUSTOMER_REF: no customer {options['customer_ref']!r} in {org.slug}")
        for target in (options["output"], options["zip"]):
            if target is not None and not target.parent.is_dir():
                raise CommandError(f"{target}: folder {target.parent} does not exist")
        on = options["date"] or org_today(org, now)
        try:
            result, zipped = evidence_files(org=org, customer=customer, on=on, now=now,
                                            invoice_numbers=options["invoices"], prepared_by="recoup evidence")
        except EvidenceError as exc:
            raise CommandError(str(exc)) from None
        options["output"].write_bytes(result.pdf)
        if options["zip"] is not None:
            options["zip"].write_bytes(zipped)
        index = [{"section": s.title, "page": s.page} for s in result.sections]
        data = {"customer_ref": customer.ref, "as_of": on.isoformat(), "pdf": str(options["output"]),
                "pages": result.page_count, "zip": str(options["zip"]) if options["zip"] else None, "index": index}
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
            return
        self.stdout.write(f"Evidence pack for {customer.ref}: {options['output']} ({result.page_count} pages)"
                          + (f", originals in {options['zip']}" if options["zip"] else ""))
        for row in index:
            self.stdout.write(f"  {row['section']:<40} page {row['page']}")
