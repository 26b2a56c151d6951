"""recoup bad-debts --year YYYY [--output FILE.csv]: the yearly bad-debt report for the accountant."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from recoup.escalation.writeoff_actions import bad_debt_csv
from recoup.lib.command import OrgCommand


class Command(OrgCommand):
    help = "Write-offs and recoveries of a year as CSV (recoveries negative; a total row per currency)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", type=Path, metavar="FILE.csv", help="default: standard output")

    def handle(self, *args, **options):
        org = self.org(options)
        if not 1900 <= options["year"] <= 2999:
            raise CommandError(f"--year: {options['year']} is not a year")
        data = bad_debt_csv(org=org, year=options["year"])
        if options["output"] is None:
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        if not options["output"].parent.is_dir():
            raise CommandError(f"--output: folder {options['output'].parent} does not exist")
        options["output"].write_bytes(data)
        self.stdout.write(f"Bad-debt report {options['year']}: {options['output']}")
