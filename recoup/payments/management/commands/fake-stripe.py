"""recoup fake-stripe [--port 12111]: run the local stand-in for Stripe Checkout (demo and manual testing)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Serve a fake of Stripe's Checkout API and payment page on 127.0.0.1, sending signed webhooks to "
            "--webhook-url. Point an organization at it with `recoup payment-provider --api-base URL`.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=12111)
        parser.add_argument("--secret-key", default="sk_test_fake")
        parser.add_argument("--webhook-secret", default="whsec_fake")
        parser.add_argument("--webhook-url", required=True, help="e.g. http://127.0.0.1:8000/hooks/payments/stripe/SLUG/")

    def handle(self, *args, **options):
        from recoup.payments.fake_stripe import FakeStripe

        fake = FakeStripe(secret_key=options["secret_key"], webhook_secret=options["webhook_secret"],
                          webhook_url=options["webhook_url"], port=options["port"]).start()
        self.stdout.write(f"fake Stripe at {fake.url} (secret key {options['secret_key']}, "
                          f"webhook secret {options['webhook_secret']}); Ctrl-C stops it")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            fake.stop()
