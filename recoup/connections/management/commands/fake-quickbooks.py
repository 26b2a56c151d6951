"""recoup fake-quickbooks [--port 12113]: run the local QuickBooks Online for demos and manual tests."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Serve a fake of QuickBooks Online on 127.0.0.1 (see docs/connections.md, 'Test peers'). Point Recoup "
            "at it with RECOUP_QUICKBOOKS_URL=<the printed URL>.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=12113)
        parser.add_argument("--client-id", default="recoup-qbo-client")
        parser.add_argument("--client-secret", default="recoup-qbo-secret")
        parser.add_argument("--redirect-uri", action="append", default=[], help="a registered redirect URI (repeatable)")
        parser.add_argument("--webhook-url", default="")
        parser.add_argument("--verifier-token", default="qbo-verifier")
        parser.add_argument("--company", action="append", default=[], help="a company to offer (repeatable)")
        parser.add_argument("--seed", choices=("bulk", "none"), default="bulk")
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument("--invoices", type=int, default=1000)
        parser.add_argument("--no-limits", action="store_true", help="do not enforce Intuit's published limits")

    def handle(self, *args, **o):
        from recoup.connections.fakes.quickbooks import FakeQuickBooks
        from recoup.connections.fakes.quickbooks_seed import seed_bulk
        from recoup.connections.fakes.server import serve_until_interrupted, wall_clock

        fake = FakeQuickBooks(client_id=o["client_id"], client_secret=o["client_secret"],
                              redirect_uris=o["redirect_uri"], webhook_url=o["webhook_url"],
                              verifier_token=o["verifier_token"], limits=not o["no_limits"], port=o["port"],
                              strict=False)
        for name in o["company"] or ["Sandbox Company_US_1"]:
            company = fake.add_company(name)
            if o["seed"] == "bulk":
                seed_bulk(company, customers=o["customers"], invoices=o["invoices"], now=wall_clock())
            self.stdout.write(f"company {name}: realm {company.realm_id}")
        fake.start()
        self.stdout.write(f"fake QuickBooks Online at {fake.url} (client id {o['client_id']}, secret "
                          f"{o['client_secret']}, verifier token {o['verifier_token']}); "
                          f"set RECOUP_QUICKBOOKS_URL={fake.url}; Ctrl-C stops it")
        serve_until_interrupted(fake, self.stderr.write)
