"""recoup export journal|balances: accounting exports as CSV (columns in docs/api.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from recoup.api.exports import JOURNAL_KINDS, balances_csv, journal_csv
from recoup.lib.command import OrgCommand, parse_date


class Command(OrgCommand):
    help = "Write a journal (payments, credit notes, charges, write-offs) or customer balances as CSV."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("what", choices=("journal", "balances"))
        parser.add_argument("--kind", choices=JOURNAL_KINDS, help="journal: which movements")
        parser.add_argument("--from", dest="start", type=parse_date, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=parse_date, metavar="YYYY-MM-DD")
        parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="balances: as of this date")
        parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args, **options):
        org = self.org(options)
        if options["what"] == "journal":
            missing = [name for name, key in (("--kind", "kind"), ("--from", "start"), ("--to", "end"))
                       if not options[key]]
            if missing:
                raise CommandError(f"journal needs {', '.join(missing)}")
            if options["end"] < options["start"]:
                raise CommandError(f"--to {options['end']} is before --from {options['start']}")
            text = journal_csv(org=org, kind=options["kind"], start=options["start"], end=options["end"])
        else:
            if not options["as_of"]:
                raise CommandError("balances needs --as-of")
            text = balances_csv(org=org, as_of=options["as_of"])
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8", newline="")
            self.stderr.write(f"wrote {options['output']} ({text.count(chr(10)) - 1} rows)")
        else:
            self.stdout.write(text, ending="")
