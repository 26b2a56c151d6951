"""recoup place AGENCY CUSTOMER_REF... --output-dir DIR: place accounts with an agency (CSV + packs)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from recoup.audit.actions import Actor
from recoup.escalation.actions import EscalationError
from recoup.escalation.evidence import evidence_files
from recoup.escalation.models import Agency
from recoup.escalation.placement_actions import place_accounts
from recoup.escalation.placement_file import pack_filename, placement_csv
from recoup.ledger.models import Customer
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date, progress


class Command(OrgCommand):
    help = ("Place customers' open invoices with an agency: Recoup stops contacting them, and the placement file "
            "(CSV, columns in docs/escalation.md) and one evidence pack per account are written to --output-dir.")
    formats = ("text", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("agency", metavar="AGENCY", help="the agency's name")
        parser.add_argument("customer_refs", nargs="+", metavar="CUSTOMER_REF")
        parser.add_argument("--output-dir", required=True, type=Path, metavar="DIR")
        parser.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="placed on (default: today)")
        add_now_argument(parser)

    def handle(self, *args, **options):
        org, now = self.org(options), command_now(options)
        out: Path = options["output_dir"]
        if not out.is_dir():
            raise CommandError(f"--output-dir: {out} is not a folder")
        agency = Agency.objects.for_org(org).filter(name=options["agency"]).first()
        if agency is None:
            known = ", ".join(Agency.objects.for_org(org).values_list("name", flat=True)) or "none"
            raise CommandError(f"AGENCY: no agency {options['agency']!r} in {org.slug} (known: {known})")
        found = {c.ref: c for c in Customer.objects.for_org(org).filter(ref__in=options["customer_refs"])}
        missing = [ref for ref in options["customer_refs"] if ref not in found]
        if missing:
            raise CommandError(f"CUSTOMER_REF: {', '.join(missing)} not found in {org.slug}")
        on = options["date"] or org_today(org, now)
        try:
            placements = place_accounts(org=org, agency=agency, customers=[found[r] for r in options["customer_refs"]],
                                        on=on, actor=Actor.system("recoup place"), now=now)
        except EscalationError as exc:
            raise CommandError(str(exc)) from None
        csv_path = out / f"placement-{agency.pk}-{on.isoformat()}.csv"
        csv_path.write_bytes(placement_csv(placements, on=on, file_format=agency.file_format))
        packs = []
        for placement in progress(placements, total=len(placements), label="Evidence packs"):
            result, _ = evidence_files(org=org, customer=placement.customer, on=on, now=now,
                                       prepared_by=f"placement with {agency.name}")
            (out / pack_filename(placement)).write_bytes(result.pdf)
            packs.append(pack_filename(placement))
        data = {"agency": agency.name, "placed_on": on.isoformat(), "file": str(csv_path), "packs": packs,
                "placements": [{"id": p.pk, "customer_ref": p.customer.ref, "amount": p.placed_minor,
                                "currency": p.currency} for p in placements]}
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
            return
        self.stdout.write(f"Placed {len(placements)} account(s) with {agency.name}: {csv_path}")
        for name in packs:
            self.stdout.write(f"  {out / name}")
