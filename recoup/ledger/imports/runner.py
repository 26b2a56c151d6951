"""Run one CSV import: read, validate every row, then write all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from django.db import transaction

from recoup.audit.actions import Actor
from recoup.core.exported_values import DateOrder, date_reading, locale_decimal
from recoup.ledger.actions import LedgerError
from recoup.ledger.imports import context
from recoup.ledger.imports.columns import COLUMNS, DATE_COLUMNS, KINDS
from recoup.ledger.imports.invoice_rows import invoice_row
from recoup.ledger.imports.presets import Reduce, Source, source_for
from recoup.ledger.imports.reading import Layout, Limits, ReadProblem, csv_rows, find_header
from recoup.ledger.imports.rows import Cells, Reading, credit_note_row, customer_row, payment_row
from recoup.ledger.imports.writes import WRITERS
from recoup.orgs.models import Organization

PREVIEW_ROWS = 10
SHOWN_ROWS = 200  # rows the preview may show: the first ten and those with errors
_COUNTERS = {"create": "created", "update": "updated", "unchanged": "unchanged", "skip": "skipped"}
CHECKERS = {"customers": customer_row, "invoices": invoice_row, "payments": payment_row,
            "credit-notes": credit_note_row}


@dataclass
class RowError:
    file: str
    row: int  # line number in the file; the header is line 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


@dataclass
class ShownRow:
    """A row of the preview: its line, its cells in our columns, and the bad ones (column -> message)."""

    line: int
    values: dict[str, str]
    bad: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    kind: str
    file: str
    source: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    customers_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # every error found; ``errors`` keeps the first Limits.max_errors
    notes: list[RowError] = field(default_factory=list)  # what was left out on purpose, and why
    shown: list[ShownRow] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # our column or field -> the file's column(s)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def preview(self) -> list[dict[str, str]]:
        return [r.values for r in self.shown[:PREVIEW_ROWS]]


class _Collector:
    """Errors (capped), notes and shown rows, as validation finds them."""

    def __init__(self, result: ImportResult, limit: int, layout: Layout | None = None):
        self.result, self.limit = result, limit
        self.notes: dict[str, list[int]] = {}
        self.hint = {f: s for f, s in (layout.shown if layout else {}).items() if s.lower() != f}

    def error(self, line: int, column: str, message: str) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < self.limit:
            if column in self.hint:
                message += f" (file column {self.hint[column]!r})"
            self.result.errors.append(RowError(self.result.file, line, column, message))

    def note(self, line: int, message: str) -> None:
        self.notes.setdefault(message, []).append(line)

    def show(self, line: int, values: dict, bad: dict[str, str]) -> None:
        shown = self.result.shown
        if (len(shown) < PREVIEW_ROWS or bad) and len(shown) < SHOWN_ROWS:
            shown.append(ShownRow(line, {k: v for k, v in values.items() if isinstance(v, str)}, bad))

    def finish(self) -> None:
        for message, lines in self.notes.items():
            more = f" ({len(lines)} rows: lines {', '.join(map(str, lines[:10]))}{' ...' if len(lines) > 10 else ''})"
            self.result.notes.append(RowError(self.result.file, lines[0], "", message + (more if len(lines) > 1 else "")))
        if self.result.error_count > len(self.result.errors):
            self.result.errors.append(RowError(self.result.file, self.result.errors[-1].row, "",
                                               f"... and {self.result.error_count - len(self.result.errors)} more "
                                               f"errors (the first {self.limit} are listed)"))


def _records(source: Source, layout: Layout, rows: Iterator[tuple[int, list[str]]], reduce: Reduce,
             out: _Collector) -> list[tuple[int, dict]]:
    width = len(layout.header)

    def fitting() -> Iterator[tuple[int, dict]]:
        for line, cells in rows:
            if len(cells) > width:
                message = f"{len(cells)} cells but the header has {width}: a comma not in quotes?"
                out.error(line, "", message)
                out.show(line, layout.values(cells[:width]), {"": message})
                continue  # its cells are not where the header says; the other rows are still checked
            yield line, layout.values(cells)

    return list(source.reduce(fitting(), reduce))


def import_csv(*, org: Organization, kind: str, name: str, data: bytes | str | BinaryIO, actor: Actor,
               now: datetime, dry_run: bool = False, mapping: dict[str, str] | None = None, source: str = "",
               date_order: DateOrder | str | None = None, limits: Limits | None = None,
               progress: Callable[[Iterable, int, str], Iterable] | None = None) -> ImportResult:
    """Import one CSV file of ``kind`` (see docs/import-formats.md).

    ``source`` names a tool's export preset ("" for Recoup's columns); ``mapping`` maps
    file columns to fields (or "-" to leave one out) on top of it; ``date_order`` ("dmy"
    or "mdy") overrides the organization's locale for day-and-month dates. ``data`` is
    read as a stream (an open binary file is best for large files). Every row is
    validated first and every error collected; only a file with no errors is written,
    in one transaction, and a failure while writing rolls all of it back. ``progress``
    optionally wraps the write loop (e.g. ``recoup.lib.command.progress``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    spec = source_for(source, kind)
    limits = limits or Limits.from_settings()
    result = ImportResult(kind=kind, file=name, source=source, dry_run=dry_run)
    locale = org.locale or "en"
    rows = csv_rows(data, limits)
    try:
        layout = find_header(spec, rows, mapping)
        if layout is None:
            result.errors.append(RowError(name, 1, "", f"the file is empty; expected a header row: "
                                                       f"{','.join(COLUMNS[kind])}"))
            return result
        result.header, result.mapping = layout.header, dict(layout.shown)
        out = _Collector(result, limits.max_errors, layout)
        for column, message in layout.errors:
            out.error(layout.line, column, message)
        if layout.fatal:
            return result
        records = _records(spec, layout, rows, Reduce(locale_decimal(locale), out.error, out.note), out)
    except ReadProblem as exc:
        result.errors.append(RowError(name, exc.line, "", exc.message))
        return result
    result.rows = len(records)
    texts = [v.get(c, "") for _, v in records for c in DATE_COLUMNS]
    texts += [p[1] for _, v in records for p in v.get("payments", ())]
    explicit = DateOrder(date_order) if date_order else None
    reading = Reading(date_reading(texts, locale=locale, explicit=explicit), locale_decimal(locale), locale,
                      export=bool(source))
    ctx = context.load(org, kind, [values for _, values in records])
    order = {col: i for i, col in enumerate(COLUMNS[kind])}
    check, seen, plans = CHECKERS[kind], {}, []
    records.reverse()
    while records:  # each row's cells are let go once its plan is made: the plans are what is kept
        line, values = records.pop()
        cells = Cells(values, layout.present | set(values), reading)
        plan = check(ctx, cells, line, seen)
        plans.append(plan)
        bad: dict[str, str] = {}
        for column, message, at in sorted(cells.errors, key=lambda e: order.get(e[0], len(order))):
            out.error(at or line, column, message)
            bad.setdefault(column, message)
        out.show(line, values, bad)
        for note in plan.get("notes", ()):
            out.note(line, note)
        if plan.get("note"):
            out.note(line, plan["note"])
    out.finish()
    if result.errors:
        return result
    for plan in plans:
        counter = _COUNTERS[plan["action"]]
        setattr(result, counter, getattr(result, counter) + 1)
    result.customers_created = len(ctx.new_customers)
    if not dry_run:
        try:
            _write(org, kind, name, plans, actor, now, progress)
        except _WriteFailed as exc:
            result.errors.append(exc.error)
            result.created = result.updated = result.unchanged = result.skipped = result.customers_created = 0
    return result


class _WriteFailed(Exception):
    def __init__(self, error: RowError):
        self.error = error


def _write(org, kind, name, plans, actor, now, progress) -> None:
    todo = [p for p in plans if p["action"] in ("create", "update")]
    if kind in ("payments", "credit-notes"):
        # Allocation depends on order: apply money in date order, then file order.
        todo.sort(key=lambda p: (p["date"], p["line"]))
    loop = progress(todo, len(todo), f"Importing {kind}") if progress else todo
    writer, made = WRITERS[kind], {}
    with transaction.atomic():
        for plan in loop:
            try:
                writer(org=org, plan=plan, actor=actor, now=now, made=made)
            except LedgerError as exc:
                raise _WriteFailed(RowError(name, plan["line"], "", str(exc))) from exc
