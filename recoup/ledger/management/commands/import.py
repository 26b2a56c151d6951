"""recoup import KIND FILE...: CSV files of customers, invoices, payments or credit notes,
or e-invoices (UBL, CII, Factur-X/ZUGFeRD PDF) with KIND einvoice."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.ledger.imports import KINDS, TOOLS, import_csv
from recoup.ledger.imports.einvoice import import_einvoices
from recoup.ledger.imports.einvoice.limits import einvoice_limits
from recoup.lib.command import OrgCommand, progress

EINVOICE = "einvoice"


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise CommandError(f"--map {pair!r}: use FILE_COLUMN=OUR_COLUMN, or FILE_COLUMN=- to ignore it")
        out[src.strip()] = dst.strip()
    return out


def _open(path: Path):
    try:
        return path.open("rb")
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None


def _size(path: Path) -> tuple[str, int]:
    try:
        return path.name, path.stat().st_size
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None


class Command(OrgCommand):
    help = "Import CSV files (all or nothing) or e-invoices (each file all or nothing); see docs/import-formats.md."
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("kind", choices=(*KINDS, EINVOICE))
        parser.add_argument("file", type=Path, nargs="+", help="one CSV file, or any number of e-invoices")
        parser.add_argument("--dry-run", action="store_true", help="check and report; store nothing")
        parser.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                            help="CSV only: read the file's column SRC as our column DST (DST '-' ignores it)")
        parser.add_argument("--from", dest="source", choices=TOOLS, default="",
                            help="CSV only: the file is this tool's standard export (its columns are known)")
        parser.add_argument("--dates", choices=("dmy", "mdy"), default=None,
                            help="CSV only: dates like 03/04/2026 are day/month/year (dmy) or month/day/year (mdy); "
                                 "default: as the organization's locale writes them, refusing ambiguous ones")

    def handle(self, *args, **options):
        org, files, kind = self.org(options), options["file"], options["kind"]
        if kind == EINVOICE:
            return self._einvoices(org, files, options)
        if len(files) > 1:
            raise CommandError(f"import {kind} takes one CSV file, not {len(files)}")
        try:
            with _open(files[0]) as data:
                result = import_csv(org=org, kind=kind, name=str(files[0]), data=data, source=options["source"],
                                    actor=Actor.system("recoup import"), now=timezone.now(),
                                    dry_run=options["dry_run"], mapping=_mapping(options["map"]),
                                    date_order=options["dates"], progress=progress)
        except ValueError as exc:  # a tool without a preset for this kind
            raise CommandError(str(exc)) from None
        for error in result.errors:
            self.stderr.write(str(error))
        for note in result.notes:
            self.stderr.write(f"note: {note}")
        counts = {"kind": result.kind, "file": result.file, "rows": result.rows, "created": result.created,
                  "updated": result.updated, "unchanged": result.unchanged, "skipped": result.skipped,
                  "customers_created": result.customers_created, "errors": result.error_count,
                  "dry_run": result.dry_run}
        self.report(options["format"], headers=list(counts), rows=[list(counts.values())], data=counts)
        if not result.ok:
            raise CommandError(f"{result.error_count} error(s); nothing was stored", returncode=1)

    def _einvoices(self, org, files: list[Path], options) -> None:
        if options["map"] or options["source"] or options["dates"]:
            raise CommandError("--map, --from and --dates apply to CSV files only")
        limits = einvoice_limits()
        problem = limits.sizes_problem([_size(p) for p in files])  # before reading any of them
        if problem:
            raise CommandError(problem)
        result = import_einvoices(org=org, files=[(str(p), _read(p)) for p in files], limits=limits,
                                  actor=Actor.system("recoup import"), now=timezone.now(), dry_run=options["dry_run"])
        for f in result.files:
            if f.error:
                self.stderr.write(f.error)
        headers = ["file", "status", "kind", "number", "customer", "total", "currency", "due_date", "notes"]
        rows = [[f.file, f.status, f.kind, f.number, f.customer + (" (new)" if f.customer_created else ""), f.total,
                 f.currency, f.due_date, "; ".join(f.notes)] for f in result.files]
        self.report(options["format"], headers=headers, rows=rows, right=["total"],
                    title="E-invoices" + (" (dry run: nothing stored)" if result.dry_run else ""),
                    data={"dry_run": result.dry_run, "files": [asdict(f) for f in result.files]})
        failed = result.count("failed")
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) failed and stored nothing", returncode=1)
