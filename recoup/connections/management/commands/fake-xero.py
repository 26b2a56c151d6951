"""recoup fake-xero [--port 12112]: run the local Xero (OAuth, /connections, Accounting API) for demos and manual tests."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Serve a fake of Xero on 127.0.0.1 (see docs/connections.md, 'Test peers'). Point Recoup at it with "
            "RECOUP_XERO_URL=<the printed URL>.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=12112)
        parser.add_argument("--client-id", default="recoup-xero-client")
        parser.add_argument("--client-secret", default="recoup-xero-secret")
        parser.add_argument("--redirect-uri", action="append", default=[],
                            help="a registered redirect URI (repeatable), e.g. http://127.0.0.1:8000/connections/xero/callback")
        parser.add_argument("--webhook-url", default="")
        parser.add_argument("--webhook-key", default="xero-webhook-key")
        parser.add_argument("--tenant", action="append", default=[], help="an organisation to offer (repeatable)")
        parser.add_argument("--seed", choices=("examples", "bulk", "none"), default="examples")
        parser.add_argument("--contacts", type=int, default=2000)
        parser.add_argument("--invoices", type=int, default=10000)
        parser.add_argument("--no-limits", action="store_true", help="do not enforce Xero's published rate limits")

    def handle(self, *args, **o):
        from recoup.connections.fakes.server import serve_until_interrupted, wall_clock
        from recoup.connections.fakes.xero import FakeXero
        from recoup.connections.fakes.xero_seed import seed_bulk, seed_examples

        fake = FakeXero(client_id=o["client_id"], client_secret=o["client_secret"], redirect_uris=o["redirect_uri"],
                        webhook_url=o["webhook_url"], webhook_key=o["webhook_key"], limits=not o["no_limits"],
                        port=o["port"], strict=False)
        for name in o["tenant"] or ["Demo Company (NZ)"]:
            books = fake.add_tenant(name)
            if o["seed"] == "examples":
                seed_examples(books, wall_clock())
            elif o["seed"] == "bulk":
                seed_bulk(books, contacts=o["contacts"], invoices=o["invoices"], now=wall_clock())
        fake.start()
        self.stdout.write(f"fake Xero at {fake.url} (client id {o['client_id']}, secret {o['client_secret']}, "
                          f"webhook key {o['webhook_key']}); set RECOUP_XERO_URL={fake.url}; Ctrl-C stops it")
        serve_until_interrupted(fake, self.stderr.write)
