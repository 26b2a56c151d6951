"""recoup arrangements plan|promise|dispute create|list|end: the operator's arrangement pages on the command line.

Each verb calls the action the web page calls (so the holds on the cycle, the audit trail and the
debtor's notices are the same), as the system actor "recoup arrangements".
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.core.management.base import CommandError

from recoup.arrangements import actions, dispute_actions, promise_actions
from recoup.arrangements.actions import ArrangementError, org_date
from recoup.arrangements.listing import KINDS, arrangement_rows, row_of
from recoup.arrangements.models import Dispute, DisputeCategory, Frequency, PaymentPlan, Promise
from recoup.audit.actions import Actor
from recoup.core.money import parse_amount, to_minor
from recoup.ledger.models import Customer, Invoice
from recoup.lib.command import OrgCommand, add_now_argument, command_now, parse_date

ACTOR = Actor.system("recoup arrangements")
MODELS = {"plan": PaymentPlan, "promise": Promise, "dispute": Dispute}
HEADERS = {"plan": ["id", "customer", "invoices", "status", "total", "instalments", "frequency", "first_date"],
           "promise": ["id", "customer", "invoices", "status", "amount", "pay_by", "made_on"],
           "dispute": ["id", "customer", "invoices", "status", "category", "amount", "opened_on", "age_days"]}


class Command(OrgCommand):
    help = "Create, list and end payment plans, promises to pay and disputes (as on the Arrangements pages)."
    formats = ("table", "json")

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True)
        verbs = {}
        for kind in KINDS:
            sub = kinds.add_parser(kind).add_subparsers(dest="verb", required=True)
            verbs[kind] = {v: sub.add_parser(v) for v in ("create", "list", "end")}
            create, listing, end = verbs[kind].values()
            create.add_argument("customer", metavar="CUSTOMER_REF")
            create.add_argument("--invoice", action="append", required=True, metavar="NUMBER", help="repeatable")
            listing.add_argument("--customer", metavar="REF")
            listing.add_argument("--all", action="store_true", help="closed ones too")
            end.add_argument("id", type=int)
            for each in (create, listing, end):
                super().add_arguments(each)  # --org, --format
                add_now_argument(each)
        plan, promise, dispute = verbs["plan"]["create"], verbs["promise"]["create"], verbs["dispute"]["create"]
        plan.add_argument("--instalments", type=int, required=True)
        plan.add_argument("--frequency", choices=Frequency.values, default=Frequency.MONTHLY)
        plan.add_argument("--first", type=parse_date, required=True, metavar="YYYY-MM-DD", help="first instalment")
        plan.add_argument("--down", metavar="AMOUNT", help="down payment, due today")
        plan.add_argument("--note", default="")
        promise.add_argument("--pay-by", type=parse_date, required=True, metavar="YYYY-MM-DD")
        promise.add_argument("--amount", help="default: all that is open")
        dispute.add_argument("--category", choices=DisputeCategory.values, required=True)
        dispute.add_argument("--message", required=True)
        dispute.add_argument("--amount", help="the disputed amount (default: all of it)")
        dispute.add_argument("--attach", action="append", default=[], type=Path, metavar="FILE")
        for kind in ("plan", "promise"):
            verbs[kind]["end"].add_argument("--reason", required=True, help="why it ends (it is cancelled)")
        verbs["dispute"]["end"].add_argument("--resolution", required=True,
                                             help="how it was resolved (with --reject: why not; the debtor is told)")
        verbs["dispute"]["end"].add_argument("--reject", action="store_true")

    def handle(self, *args, kind, verb, **options):
        org, now = self.org(options), command_now(options)
        if verb == "list":
            customer = self._customer(org, options["customer"]) if options["customer"] else None
            rows = arrangement_rows(org=org, kind=kind, today=org_date(org, now), customer=customer,
                                    include_closed=options["all"])
            return self._print(options["format"], kind, rows)
        try:
            done = self._create(org, kind, options, now) if verb == "create" else self._end(org, kind, options, now)
        except (ArrangementError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self._print(options["format"], kind, [row_of(done)])

    def _create(self, org, kind, o, now):
        customer = self._customer(org, o["customer"])
        invoices = list(Invoice.objects.for_org(org).filter(customer=customer, number__in=o["invoice"]))
        if missing := sorted(set(o["invoice"]) - {i.number for i in invoices}):
            raise CommandError(f"--invoice: {', '.join(missing)} not among {customer.ref}'s invoices")
        minor = lambda text: to_minor(parse_amount(text, invoices[0].currency), invoices[0].currency)  # noqa: E731
        common = dict(org=org, customer=customer, invoices=invoices, actor=ACTOR, now=now)
        if kind == "plan":
            return actions.plan_create(**common, instalments=o["instalments"], frequency=o["frequency"],
                                       first_date=o["first"], down_payment_minor=minor(o["down"]) if o["down"] else 0,
                                       note=o["note"])
        if kind == "promise":
            return promise_actions.promise_make(**common, pay_by=o["pay_by"],
                                                amount_minor=o["amount"] and minor(o["amount"]))
        files = [(p.name, mimetypes.guess_type(p.name)[0] or "application/octet-stream", p.read_bytes())
                 for p in o["attach"]]
        return actions.dispute_open(**common, category=o["category"], message=o["message"], attachments=files,
                                    amount_minor=o["amount"] and minor(o["amount"]))

    def _end(self, org, kind, o, now):
        found = MODELS[kind].objects.for_org(org).filter(pk=o["id"]).first()
        if found is None:
            raise CommandError(f"no {kind} #{o['id']} in {org.slug}")
        if kind == "plan":
            return actions.plan_cancel(org=org, plan=found, reason=o["reason"], actor=ACTOR, now=now)
        if kind == "promise":
            return promise_actions.promise_cancel(org=org, promise=found, reason=o["reason"], actor=ACTOR, now=now)
        if o["reject"]:
            return dispute_actions.dispute_reject(org=org, dispute=found, explanation=o["resolution"], actor=ACTOR,
                                                  now=now)
        return dispute_actions.dispute_resolve(org=org, dispute=found, resolution=o["resolution"], actor=ACTOR, now=now)

    def _customer(self, org, ref: str) -> Customer:
        customer = Customer.objects.for_org(org).filter(ref=ref).first()
        if customer is None:
            raise CommandError(f"no customer {ref!r} in {org.slug}")
        return customer

    def _print(self, fmt: str, kind: str, rows: list[dict]) -> None:
        self.report(fmt, headers=HEADERS[kind], data=rows,
                    rows=[[", ".join(v) if isinstance(v, list) else v for v in (r[h] for h in HEADERS[kind])]
                          for r in rows])
