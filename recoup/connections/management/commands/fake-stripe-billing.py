"""recoup fake-stripe-billing [--port 12114]: run the local Stripe Billing (Connect OAuth, invoices, events)."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Serve a fake of Stripe Billing and Stripe Connect OAuth on 127.0.0.1 (see docs/connections.md, "
            "'Test peers'). Point Recoup at it with RECOUP_STRIPE_BILLING_URL=<the printed URL>.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=12114)
        parser.add_argument("--client-id", default="ca_recoupfake")
        parser.add_argument("--platform-secret", default="sk_test_platform")
        parser.add_argument("--redirect-uri", action="append", default=[], help="a registered redirect URI (repeatable)")
        parser.add_argument("--webhook-url", default="")
        parser.add_argument("--webhook-secret", default="whsec_billing")
        parser.add_argument("--account", action="append", default=[], help="a Stripe account to offer (repeatable)")
        parser.add_argument("--seed", choices=("bulk", "none"), default="bulk")
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument("--invoices", type=int, default=1000)
        parser.add_argument("--no-limits", action="store_true", help="do not enforce Stripe's test-mode rate limit")

    def handle(self, *args, **o):
        from recoup.connections.fakes.server import serve_until_interrupted, wall_clock
        from recoup.connections.fakes.stripe_billing import FakeStripeBilling, seed_bulk

        fake = FakeStripeBilling(client_id=o["client_id"], platform_secret=o["platform_secret"],
                                 redirect_uris=o["redirect_uri"], webhook_url=o["webhook_url"],
                                 webhook_secret=o["webhook_secret"], limits=not o["no_limits"], port=o["port"],
                                 strict=False)
        for name in o["account"] or ["Acme Inc"]:
            account = fake.add_account(name)
            if o["seed"] == "bulk":
                seed_bulk(account, customers=o["customers"], invoices=o["invoices"], now=wall_clock())
            self.stdout.write(f"account {name}: {account.account_id}")
        fake.start()
        self.stdout.write(f"fake Stripe Billing at {fake.url} (client id {o['client_id']}, platform secret "
                          f"{o['platform_secret']}, webhook secret {o['webhook_secret']}); "
                          f"set RECOUP_STRIPE_BILLING_URL={fake.url}; Ctrl-C stops it")
        serve_until_interrupted(fake, self.stderr.write)
