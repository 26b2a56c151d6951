"""recoup portal-link CUSTOMER_REF [--rotate | --revoke]: a customer's portal link, made fresh."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.audit.actions import Actor
from recoup.lib.command import OrgCommand, add_now_argument, command_now
from recoup.ledger.models import Customer
from recoup.portal.actions import token_issue, token_revoke, token_rotate
from recoup.portal.links import urls_for_secret
from recoup.portal.models import PortalToken


class Command(OrgCommand):
    help = ("Print a new portal link for a customer (the secret is shown once). --rotate revokes the "
            "customer's earlier links first; --revoke only revokes them.")
    formats = ("text", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("customer", metavar="CUSTOMER_REF")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true")
        group.add_argument("--revoke", action="store_true")
        add_now_argument(parser, "the time the link is made at; it expires counted from then (default: the clock)")

    def handle(self, *args, **options):
        org, now, actor = self.org(options), command_now(options), Actor.system("recoup portal-link")
        customer = Customer.objects.for_org(org).filter(ref=options["customer"]).first()
        if customer is None:
            raise CommandError(f"customer: no customer {options['customer']!r} in {org.slug}")
        if options["revoke"]:
            live = PortalToken.objects.for_org(org).filter(customer=customer, revoked_at__isnull=True)
            count = len([token_revoke(org=org, token=t, actor=actor, now=now) for t in live])
            data = {"customer": customer.ref, "revoked": count}
        else:
            make = token_rotate if options["rotate"] else token_issue
            token, secret = make(org=org, customer=customer, actor=actor, now=now)
            portal, prefs = urls_for_secret(secret)
            data = {"customer": customer.ref, "portal_url": portal, "preferences_url": prefs,
                    "expires_at": token.expires_at.isoformat()}
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
        else:
            self.stdout.write("\n".join(f"{k}: {v}" for k, v in data.items()))
