"""recoup restrict CUSTOMER_REF KIND [--from DATE] [--until DATE] [--lift]: restrictions on contacting a customer."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.audit.actions import Actor
from recoup.compliance.actions import ComplianceError, restriction_set
from recoup.compliance.models import RestrictionKind
from recoup.ledger.models import Customer
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date

ACTOR = Actor.system("recoup restrict")


class Command(OrgCommand):
    help = ("Record that a customer asked us to stop contacting them, is represented by an attorney, is insolvent, "
            "is in a UK Breathing Space or has died (the contact gate reads it); --lift ends it.")
    formats = ("text", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("customer_ref")
        parser.add_argument("kind", choices=RestrictionKind.values)
        parser.add_argument("--from", dest="starts_on", type=parse_date, help="first day (default today)")
        parser.add_argument("--until", dest="ends_on", type=parse_date,
                            help="last day (default: until lifted; Breathing Space: 60 days)")
        parser.add_argument("--note", default="", help="reference, e.g. the Insolvency Service's number")
        parser.add_argument("--lift", action="store_true", help="end the restriction of this kind now")
        add_now_argument(parser)

    def handle(self, *args, **options):
        org, now = self.org(options), command_now(options)
        customer = Customer.objects.for_org(org).filter(ref=options["customer_ref"]).first()
        if customer is None:
            raise CommandError(f"customer_ref: no customer {options['customer_ref']!r} in {org.slug}")
        try:
            rows = restriction_set(org=org, customer=customer, kind=options["kind"],
                                   starts_on=options["starts_on"] or org_today(org, now), ends_on=options["ends_on"],
                                   note=options["note"], lift=options["lift"], actor=ACTOR, now=now)
        except ComplianceError as exc:
            raise CommandError(str(exc)) from None
        data = [{"customer_ref": customer.ref, "kind": r.kind, "starts_on": r.starts_on.isoformat(),
                 "ends_on": r.ends_on.isoformat() if r.ends_on else None, "lifted": r.lifted_at is not None}
                for r in rows]
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
            return
        for r in rows:
            verb = "lifted" if r.lifted_at else "in force"
            self.stdout.write(f"{customer.ref}: {r} ({verb})")
