"""recoup import KIND FILE: load customers, invoices, payments or credit notes from CSV."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.ledger.imports import KINDS, import_csv
from recoup.lib.command import OrgCommand, progress


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise CommandError(f"--map {pair!r}: use FILE_COLUMN=OUR_COLUMN, or FILE_COLUMN=- to ignore it")
        out[src.strip()] = dst.strip()
    return out


class Command(OrgCommand):
    help = "Import a CSV file; all or nothing (formats: docs/import-formats.md)."
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="validate and count; store nothing")
        parser.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                            help="read the file's column SRC as our column DST (DST '-' ignores it)")

    def handle(self, *args, **options):
        org = self.org(options)
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        result = import_csv(org=org, kind=options["kind"], name=str(path), data=data,
                            actor=Actor.system("recoup import"), now=timezone.now(),
                            dry_run=options["dry_run"], mapping=_mapping(options["map"]), progress=progress)
        for error in result.errors:
            self.stderr.write(str(error))
        counts = {"kind": result.kind, "file": result.file, "rows": result.rows, "created": result.created,
                  "updated": result.updated, "unchanged": result.unchanged, "errors": len(result.errors),
                  "dry_run": result.dry_run}
        self.report(options["format"], headers=list(counts), rows=[list(counts.values())], data=counts)
        if not result.ok:
            raise CommandError(f"{len(result.errors)} error(s); nothing was stored", returncode=1)
