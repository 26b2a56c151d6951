"""recoup statement-import FILE [--account NAME] [--profile NAME] [--add-account]: import and reconcile a bank
statement; a file for an account that is not the organization's is refused unless --add-account says it is."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.banking.actions import BankingError, account_create, statement_import
from recoup.banking.errors import UnknownAccount
from recoup.banking.models import LineState
from recoup.banking.selectors import upload_limits
from recoup.lib.command import OrgCommand


class Command(OrgCommand):
    help = ("Import a bank statement (camt.052/053/054 or a zip of them, OFX, MT940/MT942, CSV) and match its "
            "payments to open invoices. A file imported before creates nothing; a broken file changes nothing.")
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)
        parser.add_argument("--account", metavar="NAME",
                            help="bank account to import into (created if new); default: the one named in the file")
        parser.add_argument("--profile", metavar="NAME", help="CSV profile (saved or built in) for a CSV file")
        parser.add_argument("--add-account", action="store_true",
                            help="the file names an account that is not yet the organization's: add it and import "
                                 "(without this, such a file is refused, naming the account)")

    def handle(self, *args, **options):
        org, now = self.org(options), timezone.now()
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        size, limit = path.stat().st_size, upload_limits().max_upload
        if size > limit:  # refused before it is read into memory
            raise CommandError(f"{path.name}: the file is {size / 2**20:.1f} MB, more than the {limit / 2**20:.0f} MB "
                               f"one upload may be (RECOUP_STATEMENT_MAX_UPLOAD_MB)")
        actor = Actor.system("statement-import")
        try:
            account = None
            if options["account"]:
                account = account_create(org=org, name=options["account"], actor=actor, now=now, existing_ok=True)
            data = path.read_bytes()
            try:
                result = statement_import(org=org, file_name=path.name, data=data, account=account,
                                          profile_name=options["profile"], actor=actor, now=now)
            except UnknownAccount as exc:
                if not options["add_account"]:
                    raise CommandError(f"{exc}: nothing imported; if the file is {org.legal_name}'s, run again "
                                       "with --add-account") from None
                result = statement_import(org=org, file_name=path.name, data=data, account=account,
                                          profile_name=options["profile"], actor=actor, now=now,
                                          add_accounts=exc.identifiers)
        except BankingError as exc:
            raise CommandError(str(exc)) from None
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=result.as_json())
            return
        if result.already_imported:
            self.stdout.write(f"{path.name} was imported before: nothing new.")
            return
        rows = [(s.account.name, s.format, s.period_start or "", s.period_end or "", s.lines.count())
                for s in result.statements]
        self.report("table", headers=["account", "format", "from", "to", "lines"], rows=rows,
                    title=f"{path.name}: {result.lines} new line(s), {result.duplicates} already known")
        states = result.states
        self.stdout.write(
            f"matched automatically: {states.get(LineState.MATCHED, 0)}, to review: "
            f"{states.get(LineState.REVIEW, 0) + states.get(LineState.UNMATCHED, 0)}, returned: "
            f"{states.get(LineState.REVERSAL, 0)}, money out: {states.get(LineState.OUTGOING, 0)}")
