"""The column mapping of the web import: the first guess for a file's header, and the
mapping an operator chose, kept per organization, source and kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.ledger.imports.columns import IGNORE, guess_column, normalize
from recoup.ledger.imports.presets import source_for
from recoup.ledger.imports.reading import Limits, ReadProblem, csv_rows, find_header
from recoup.ledger.models import ImportMapping
from recoup.orgs.models import Organization

SAMPLE_ROWS = 3
DATE_ORDERS = ("dmy", "mdy")


@dataclass
class Guess:
    """A file's header, a few of its rows, and the field each column is first taken for."""

    header: list[str]
    samples: list[list[str]]  # per column, the first rows' cells
    fields: list[str]  # per column: a field of the source, or "-"
    date_order: str  # "", "dmy" or "mdy"
    saved: bool  # the fields come from a mapping saved for this organization and source
    line: int = 1


def saved_mapping(org: Organization, source: str, kind: str) -> ImportMapping | None:
    return ImportMapping.objects.for_org(org).filter(source=source, kind=kind).first()


def guess_mapping(org: Organization, source: str, kind: str, data: bytes | BinaryIO,
                  limits: Limits | None = None) -> Guess:
    """The header and first rows of a file, each column guessed to a field: as saved for this
    organization and source, else as the preset names it, else by its name.

    Raises: ReadProblem when the file has no readable header.
    """
    spec = source_for(source, kind)
    rows = csv_rows(data, limits or Limits.from_settings())
    layout = find_header(spec, rows, None)
    if layout is None:
        raise ReadProblem(1, "the file is empty")
    samples: list[list[str]] = [[] for _ in layout.header]
    for _, cells in rows:
        for index in range(len(layout.header)):
            samples[index].append(cells[index] if index < len(cells) else "")
        if len(samples[0]) >= SAMPLE_ROWS:
            break
    stored = saved_mapping(org, source, kind)
    known = stored.columns if stored else {}
    fields: list[str] = []
    for cell, by_source in zip(layout.header, layout.positions):
        chosen = known.get(normalize(cell)) or by_source or guess_column(kind, cell)
        if chosen not in spec.field_names or (chosen in fields and chosen not in layout.parts):
            chosen = IGNORE
        fields.append(chosen)
    return Guess(layout.header, samples, fields, stored.date_order if stored else "", stored is not None,
                 layout.line)


@transaction.atomic
def mapping_save(*, org: Organization, source: str, kind: str, columns: dict[str, str], date_order: str,
                 actor: Actor, now: datetime) -> ImportMapping:
    """Keep the mapping (file column -> field or "-") for the organization's next file from ``source``."""
    spec = source_for(source, kind)
    clean = {normalize(k): v for k, v in columns.items() if normalize(k)}
    bad = sorted({v for v in clean.values() if v != IGNORE and v not in spec.field_names})
    if bad:
        raise ValueError(f"not fields of {spec.tool} {kind}: {', '.join(bad)}")
    if date_order not in ("", *DATE_ORDERS):
        raise ValueError(f"date order {date_order!r} is not dmy or mdy")
    mapping, created = ImportMapping.objects.for_org(org).update_or_create(
        org=org, source=source, kind=kind, defaults={"columns": clean, "date_order": date_order, "updated_at": now})
    audit.record(org=org, actor=actor, at=now, verb="import.mapping_saved", subject=mapping,
                 summary=f"Column mapping for {spec.tool} {kind} files {'saved' if created else 'changed'}",
                 data={"columns": clean, "date_order": date_order})
    return mapping
