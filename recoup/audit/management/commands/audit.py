"""recoup audit verify|checkpoint|export: check the hash chain against its checkpoints; sign the heads;
export events as JSON Lines."""

from __future__ import annotations

import sys

from django.core.management.base import CommandError

from recoup.audit.checkpoints import (
    CheckpointError, audit_verify, checkpoints_take, known_checkpoints, orphan_checkpoints, trusted_keys,
)
from recoup.audit.selectors import events_jsonl
from recoup.lib.command import OrgCommand, add_now_argument, command_now, write_report
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization


class Command(OrgCommand):
    help = ("verify: walk each organization's hash chain, naming the first broken event, and check it against "
            "every checkpoint found; checkpoint: sign each chain's head; export: JSON Lines.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the chain (every organization unless --org)")
        verify.add_argument("--org", metavar="SLUG")
        verify.add_argument("--checkpoints", metavar="FILE", action="append", default=[],
                            help="also check against the checkpoints in FILE: a backup archive or its manifest.json, "
                                 "a saved digest e-mail, a checkpoint file (repeatable)")
        verify.add_argument("--format", choices=("text", "json"), default="text")
        checkpoint = sub.add_parser("checkpoint", help="verify each chain and sign its head into the checkpoint file")
        checkpoint.add_argument("--org", metavar="SLUG")
        add_now_argument(checkpoint)
        export = sub.add_parser("export", help="write events as JSON Lines")
        export.add_argument("--org", metavar="SLUG")
        export.add_argument("--customer", metavar="REF", help="only this customer's events")
        export.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    def _orgs(self, options) -> list[Organization]:
        return [self.org(options)] if options["org"] else list(Organization.objects.order_by("slug"))

    def handle(self, *args, action, **options):
        if action == "verify":
            return self._verify(options)
        if action == "checkpoint":
            taken = checkpoints_take(now=command_now(options), orgs=self._orgs(options))
            for outcome in taken:
                self.stdout.write(outcome.text())
            if failed := [t.org for t in taken if t.checkpoint is None]:
                raise CommandError(f"no checkpoint for {', '.join(failed)}: the chain does not verify")
            return
        self._export(options)

    def _verify(self, options) -> None:
        try:
            checkpoints = known_checkpoints(options["checkpoints"])
        except CheckpointError as exc:
            raise CommandError(str(exc)) from None
        trusted = trusted_keys()
        reports = [audit_verify(org, checkpoints, trusted=trusted) for org in self._orgs(options)]
        orphans = [] if options["org"] else orphan_checkpoints(checkpoints)
        if options["format"] == "json":
            rows = [r.as_json() for r in reports] + [{"org": None, "ok": False, "problem": p} for p in orphans]
            write_report(self.stdout, "json", headers=[], rows=[], data=rows)
        else:
            for line in [r.text() for r in reports] + orphans:
                self.stdout.write(line)
        broken = [r.chain.org for r in reports if not r.ok] + (["(deleted organizations)"] if orphans else [])
        if broken:
            raise CommandError(f"audit chain broken in {', '.join(broken)}")

    def _export(self, options) -> None:
        org = self.org(options)
        customer = None
        if options["customer"]:
            customer = Customer.objects.for_org(org).filter(ref=options["customer"]).first()
            if customer is None:
                raise CommandError(f"no customer {options['customer']!r} in {org.slug}")
        out = open(options["output"], "w", encoding="utf-8") if options["output"] else sys.stdout
        try:
            count = sum(out.write(line) > 0 for line in events_jsonl(org, customer=customer))
        finally:
            if options["output"]:
                out.close()
        if options["output"]:
            self.stderr.write(f"{count} events written to {options['output']}")
