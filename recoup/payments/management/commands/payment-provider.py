"""recoup payment-provider --secret-key K --webhook-secret S [--api-base URL] [--disable]: card payments."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.lib.command import OrgCommand
from recoup.payments.actions import PaymentsError, provider_configure
from recoup.portal.links import base_url


class Command(OrgCommand):
    help = "Set the organization's Stripe Checkout keys; prints the webhook URL to give Stripe."
    formats = ("text", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--secret-key", required=True, help="Stripe secret key (sk_...)")
        parser.add_argument("--webhook-secret", required=True, help="the webhook endpoint's signing secret (whsec_...)")
        parser.add_argument("--api-base", default="https://api.stripe.com",
                            help="Stripe's API (default); a local fake for demos: see `recoup fake-stripe`")
        parser.add_argument("--disable", action="store_true", help="stop offering card payment")

    def handle(self, *args, **options):
        org = self.org(options)
        try:
            account = provider_configure(org=org, secret_key=options["secret_key"],
                                         webhook_secret=options["webhook_secret"], api_base=options["api_base"],
                                         enabled=not options["disable"], actor=Actor.system("recoup payment-provider"),
                                         now=timezone.now())
        except PaymentsError as exc:
            raise CommandError(str(exc)) from None
        data = {"provider": account.provider, "enabled": account.enabled, "api_base": account.api_base,
                "webhook_url": base_url() + reverse("payments_webhook", args=[account.provider, org.slug])}
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
        else:
            self.stdout.write("\n".join(f"{k}: {v}" for k, v in data.items()))
