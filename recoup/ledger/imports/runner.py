"""Run one CSV import: read, validate every row, then write all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from recoup.audit.actions import Actor
from recoup.ledger.actions import LedgerError
from recoup.ledger.imports import context, rows
from recoup.ledger.imports.columns import COLUMNS, KINDS, read_header
from recoup.ledger.imports.writes import WRITERS
from recoup.orgs.models import Organization

PREVIEW_ROWS = 10
_COUNTERS = {"create": "created", "update": "updated", "unchanged": "unchanged"}


@dataclass
class RowError:
    file: str
    row: int  # line number in the file; the header is line 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _WriteFailed(Exception):
    def __init__(self, error: RowError):
        self.error = error


def _decode(data: bytes | str) -> str:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return text.removeprefix("\ufeff")


def _read(kind: str, name: str, text: str, mapping: dict[str, str] | None,
          result: ImportResult) -> tuple[list[tuple[int, dict[str, str]]], set[str]]:
    """Records as (line, {our column: cell}), with header and shape errors added to ``result``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header_cells = next(reader, None)
    if not header_cells:
        result.errors.append(RowError(name, 1, "", f"the file is empty; expected a header row: {','.join(COLUMNS[kind])}"))
        return [], set()
    header = read_header(kind, header_cells, mapping)
    result.errors += [RowError(name, 1, col, msg) for col, msg in header.errors]
    records: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            if len(cells) > len(header.positions):
                result.errors.append(RowError(name, line, "", f"{len(cells)} cells but the header has {len(header.positions)}"))
            values = {col: cell for col, cell in zip(header.positions, cells) if col}
            records.append((line, values))
        line = reader.line_num + 1
    return records, header.present


def import_csv(*, org: Organization, kind: str, name: str, data: bytes | str, actor: Actor, now: datetime,
               dry_run: bool = False, mapping: dict[str, str] | None = None,
               progress: Callable[[Iterable, int, str], Iterable] | None = None) -> ImportResult:
    """Import one CSV file of ``kind`` (see docs/import-formats.md).

    Every row is validated first and every error collected; only a file with
    no errors is written, in one transaction, and a failure while writing
    rolls all of it back. ``progress`` optionally wraps the write loop
    (e.g. ``recoup.lib.command.progress``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    result = ImportResult(kind=kind, file=name, dry_run=dry_run)
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        result.errors.append(RowError(name, 1, "", f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV"))
        return result
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        result.errors.append(RowError(name, line, "", "contains a NUL byte: is this a spreadsheet (.xlsx) rather than CSV?"))
        return result
    try:
        records, present = _read(kind, name, text, mapping, result)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        result.errors.append(RowError(name, 1, "", f"not a readable CSV file: {exc}"))
        return result
    result.rows = len(records)
    result.preview = [values for _, values in records[:PREVIEW_ROWS]]
    if result.errors:
        return result
    ctx = context.load(org, kind, [values for _, values in records])
    check = rows.CHECKERS[kind]
    seen: dict = {}
    plans = []
    order = {col: i for i, col in enumerate(COLUMNS[kind])}
    for line, values in records:
        cells = rows.Cells(values, present)
        plans.append(check(ctx, cells, line, seen))
        ordered = sorted(cells.errors, key=lambda e: order.get(e[0], len(order)))
        result.errors += [RowError(name, line, col, msg) for col, msg in ordered]
    if result.errors:
        return result
    for plan in plans:
        counter = _COUNTERS[plan["action"]]
        setattr(result, counter, getattr(result, counter) + 1)
    if not dry_run:
        try:
            _write(org, kind, name, plans, actor, now, progress)
        except _WriteFailed as exc:
            result.errors.append(exc.error)
            result.created = result.updated = result.unchanged = 0
    return result


def _write(org, kind, name, plans, actor, now, progress) -> None:
    todo = [p for p in plans if p["action"] != "unchanged"]
    if kind in ("payments", "credit-notes"):
        # Allocation depends on order: apply money in date order, then file order.
        todo.sort(key=lambda p: (p["date"], p["line"]))
    loop = progress(todo, len(todo), f"Importing {kind}") if progress else todo
    writer = WRITERS[kind]
    with transaction.atomic():
        for plan in loop:
            try:
                writer(org=org, plan=plan, actor=actor, now=now)
            except LedgerError as exc:
                raise _WriteFailed(RowError(name, plan["line"], "", str(exc))) from exc
