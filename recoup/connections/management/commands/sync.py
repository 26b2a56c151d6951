"""recoup sync [--org SLUG] [--full] [--now ISO] [--format json]: read the books' changes into Recoup (and write
back the payments they lack). Without --org, every organization with a connection."""

from __future__ import annotations

from recoup.connections.models import Connection, ConnectionStatus
from recoup.connections.sync import sync_connection
from recoup.connections.writeback import writeback_run
from recoup.lib.command import OrgCommand, add_now_argument, command_now


class Command(OrgCommand):
    help = "Sync the connected books (Xero, QuickBooks Online, Stripe Billing) into Recoup."
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--full", action="store_true", help="read everything again, not only the changes")
        parser.add_argument("--no-writeback", action="store_true", help="do not write payments back first")
        add_now_argument(parser, "the time the sync counts as done at (default: the clock)")

    def handle(self, *args, **options):
        now = command_now(options)
        qs = Connection.objects.filter(status=ConnectionStatus.ACTIVE).select_related("org").order_by("org__slug")
        if options["org"]:
            qs = qs.filter(org=self.org(options))
        results = []
        for connection in qs:
            if not options["no_writeback"]:
                writeback_run(now=now, org=connection.org)
            results.append(sync_connection(connection=connection, now=now, full=options["full"]))
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=[r.as_json() for r in results])
        else:
            self.report("table", headers=["organization", "books", "result", "changes"], rows=[
                (r.connection.org.slug, str(r.connection), "ok" if r.ok else f"FAILED: {r.error}",
                 ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items())) or "none") for r in results])
        if any(not r.ok for r in results):
            raise SystemExit(1)
