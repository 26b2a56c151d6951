"""recoup check: Django's system checks, then the ledger invariants.

Overrides Django's ``check`` on purpose; its system checks still run first.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from recoup.ledger.checks import check_ledger
from recoup.lib.command import resolve_org


class Command(BaseCommand):
    help = "Run Django's system checks and verify the ledger's invariants (exit 1 on any breach)."
    requires_system_checks = []  # run explicitly in handle() so both kinds report

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", help="check one organization (default: all)")
        parser.add_argument("--deploy", action="store_true", help="include Django's deployment checks")
        parser.add_argument("--tag", "-t", action="append", dest="tags", help="only Django checks with this tag")

    def handle(self, *args, **options):
        # Raises SystemCheckError (exit 1) on serious problems; prints warnings.
        self.check(tags=options["tags"], include_deployment_checks=options["deploy"], display_num_errors=False)
        org = resolve_org(options["org"]) if options["org"] else None
        result = check_ledger(org=org)
        for breach in result.breaches:
            self.stderr.write(str(breach))
        counts = f"{result.invoices} invoices, {result.payments} payments checked"
        if not result.ok:
            raise CommandError(f"ledger has {len(result.breaches)} breach(es) ({counts})", returncode=1)
        self.stdout.write(f"ledger OK ({counts})")
