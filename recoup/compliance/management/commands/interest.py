"""recoup interest --jurisdiction GB --amount 2000 --currency GBP --due D --paid D: statutory interest."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.compliance.selectors import rate_book
from recoup.core.interest import RateMissing, calculate
from recoup.core.money import parse_amount, to_minor
from recoup.core.rules import JURISDICTIONS
from recoup.lib.command import OrgCommand, parse_date, resolve_org
from recoup.orgs.models import Organization


class Command(OrgCommand):
    help = ("Statutory interest, fixed compensation and collection costs on a late debt, period by period. "
            "Uses the organization's added rate points (--org, or the only organization).")
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--jurisdiction", required=True, choices=JURISDICTIONS)
        parser.add_argument("--amount", required=True, help="the principal, e.g. 2000 or 1999.99")
        parser.add_argument("--currency", required=True)
        parser.add_argument("--due", required=True, type=parse_date, metavar="YYYY-MM-DD")
        parser.add_argument("--paid", type=parse_date, metavar="YYYY-MM-DD", help="payment date (default today)")
        parser.add_argument("--debtor", choices=("business", "consumer"), default="business")
        parser.add_argument("--contract-rate", metavar="PCT", help="the agreed yearly rate (US-CA)")
        parser.add_argument("--letter", type=parse_date, metavar="YYYY-MM-DD",
                            help="day the 14-day letter was received (NL consumers)")

    def handle(self, *args, **options):
        org = resolve_org(options["org"]) if options["org"] or Organization.objects.count() == 1 else None
        try:
            principal = to_minor(parse_amount(options["amount"], options["currency"]), options["currency"])
            rate = Decimal(options["contract_rate"]) if options["contract_rate"] else None
            result = calculate(jurisdiction=options["jurisdiction"], debt_kind=options["debtor"],
                               principal_minor=principal, currency=options["currency"], due=options["due"],
                               until=options["paid"] or timezone.now().date(), rates=rate_book(org),
                               contract_rate=rate, letter_on=options["letter"])
        except (ValueError, InvalidOperation, RateMissing) as exc:
            raise CommandError(str(exc)) from None
        data = result.as_json()
        rows = [(p["from"], p["to"], p["days"], p["principal"], p["rate"], p["interest"], p["basis"])
                for p in data["periods"]]
        rows += [("", "", data["days"], "", "interest", data["interest"], "rounded once, half up"),
                 ("", "", "", "", "compensation", data["compensation"], ""),
                 ("", "", "", "", "collection costs", data["collection_costs"], ""),
                 ("", "", "", "", "total", data["total"], ", ".join(data["rules"]))]
        title = f"{data['jurisdiction']} {data['debtor']} debt of {data['principal']} {data['currency']}"
        if data["notes"] and options["format"] != "json":
            title += " - " + "; ".join(data["notes"])
        self.report(options["format"], headers=["from", "to", "days", "principal", "rate %", "interest", "basis"],
                    rows=rows, data=data, title=title, right=["days", "principal", "rate %", "interest"])
