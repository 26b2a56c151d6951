"""recoup pause add|lift|list: stop (and restart) automatic collection for a customer or an invoice."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.audit.actions import Actor
from recoup.collections.actions import CollectionsError, pause_add, pause_lift
from recoup.collections.models import Pause
from recoup.collections.selectors import active_pauses
from recoup.ledger.models import Customer, Invoice
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date

ACTOR = Actor.system("recoup pause")


class Command(OrgCommand):
    help = "Pause automatic collection for a customer (or one invoice), lift a pause, list pauses in force."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="pause a customer, or one of its invoices")
        add.add_argument("customer_ref")
        add.add_argument("--invoice", metavar="NUMBER", help="pause only this invoice")
        add.add_argument("--reason", required=True)
        add.add_argument("--from", dest="starts_on", type=parse_date, help="first paused day (default today)")
        add.add_argument("--until", dest="ends_on", type=parse_date, help="last paused day (default: until lifted)")
        lift = sub.add_parser("lift", help="end a pause now")
        lift.add_argument("pause_id", type=int)
        listing = sub.add_parser("list", help="pauses in force today")
        listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
        for verb in (add, lift, listing):
            verb.add_argument("--org", metavar="SLUG", help="organization (optional when only one exists)")
            add_now_argument(verb)

    def handle(self, *args, action, **options):
        org, now = self.org(options), command_now(options)
        try:
            if action == "add":
                customer = Customer.objects.for_org(org).filter(ref=options["customer_ref"]).first()
                if customer is None:
                    raise CommandError(f"no customer {options['customer_ref']!r} in {org.slug}")
                invoice = None
                if options["invoice"]:
                    invoice = Invoice.objects.for_org(org).filter(number=options["invoice"]).first()
                    if invoice is None:
                        raise CommandError(f"no invoice {options['invoice']!r} in {org.slug}")
                pause = pause_add(org=org, customer=customer, invoice=invoice, reason=options["reason"],
                                  starts_on=options["starts_on"] or org_today(org, now),
                                  ends_on=options["ends_on"], actor=ACTOR, now=now)
                self.stdout.write(f"pause {pause.pk}: {pause}")
            elif action == "lift":
                pause = Pause.objects.for_org(org).filter(pk=options["pause_id"]).first()
                if pause is None:
                    raise CommandError(f"no pause {options['pause_id']} in {org.slug}")
                pause_lift(org=org, pause=pause, actor=ACTOR, now=now)
                self.stdout.write(f"pause {pause.pk} lifted")
            else:
                pauses = active_pauses(org=org, on=org_today(org, now)).select_related("customer", "invoice")
                self.report(options["format"],
                            headers=["id", "customer", "invoice", "from", "until", "reason"],
                            rows=[[p.pk, p.customer.ref, p.invoice.number if p.invoice else "", p.starts_on,
                                   p.ends_on or "", p.reason] for p in pauses])
        except CollectionsError as exc:
            raise CommandError(str(exc)) from None
