"""recoup audit verify|export: check the hash chain; export events as JSON Lines."""

from __future__ import annotations

import sys

from django.core.management.base import CommandError

from recoup.audit.selectors import chain_verify, events_jsonl
from recoup.lib.command import OrgCommand, write_report
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization


class Command(OrgCommand):
    help = "verify: walk each organization's hash chain, naming the first broken event; export: JSON Lines."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the chain (every organization unless --org)")
        verify.add_argument("--org", metavar="SLUG")
        verify.add_argument("--format", choices=("text", "json"), default="text")
        export = sub.add_parser("export", help="write events as JSON Lines")
        export.add_argument("--org", metavar="SLUG")
        export.add_argument("--customer", metavar="REF", help="only this customer's events")
        export.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args, action, **options):
        if action == "verify":
            orgs = [self.org(options)] if options["org"] else list(Organization.objects.order_by("slug"))
            reports = [chain_verify(org) for org in orgs]
            if options["format"] == "json":
                write_report(self.stdout, "json", headers=[], rows=[], data=[r.as_json() for r in reports])
            else:
                for report in reports:
                    self.stdout.write(report.text())
            broken = [r for r in reports if not r.ok]
            if broken:
                raise CommandError(f"audit chain broken in {', '.join(r.org for r in broken)}")
            return
        org = self.org(options)
        customer = None
        if options["customer"]:
            customer = Customer.objects.for_org(org).filter(ref=options["customer"]).first()
            if customer is None:
                raise CommandError(f"no customer {options['customer']!r} in {org.slug}")
        out = open(options["output"], "w", encoding="utf-8") if options["output"] else sys.stdout
        try:
            count = sum(out.write(line) > 0 for line in events_jsonl(org, customer=customer))
        finally:
            if options["output"]:
                out.close()
        if options["output"]:
            self.stderr.write(f"{count} events written to {options['output']}")
