"""recoup debtor export|erase REF: a debtor's data (JSON and PDF) for a subject-access request; erasure."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.ledger.models import Customer
from recoup.lib.command import OrgCommand
from recoup.ops.debtor import DataRightsError, debtor_erase, debtor_export, debtor_export_pdf


class Command(OrgCommand):
    help = "export: everything held about one debtor (JSON, and --pdf); erase: anonymize them, logged."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("action", choices=("export", "erase"))
        parser.add_argument("ref", help="the customer's reference")
        parser.add_argument("--output", metavar="FILE.json", help="export: write JSON here (default: stdout)")
        parser.add_argument("--pdf", metavar="FILE.pdf", help="export: also write a readable PDF")
        parser.add_argument("--reason", default="", help="erase: the request (who asked, when, how)")

    def handle(self, *args, action, ref, **options):
        org, now = self.org(options), timezone.now()
        customer = Customer.objects.for_org(org).filter(ref=ref).first()
        if customer is None:
            raise CommandError(f"no customer {ref!r} in {org.slug}")
        try:
            if action == "export":
                text = json.dumps(debtor_export(org=org, customer=customer), cls=DjangoJSONEncoder, indent=2,
                                  ensure_ascii=False)
                if options["output"]:
                    Path(options["output"]).write_text(text, encoding="utf-8")
                else:
                    self.stdout.write(text)
                if options["pdf"]:
                    Path(options["pdf"]).write_bytes(debtor_export_pdf(org=org, customer=customer, now=now))
                return
            result = debtor_erase(org=org, customer=customer, reason=options["reason"],
                                  actor=Actor.system("recoup debtor erase"), now=now)
        except DataRightsError as exc:
            raise CommandError(str(exc)) from None
        if not result.erased:
            raise CommandError(f"customer {ref}: {result.reason} (this decision is in the audit trail)")
        self.stdout.write(f"customer {ref}: {result.reason}; changed: "
                          + ", ".join(f"{k} {v}" for k, v in result.changed.items()))
