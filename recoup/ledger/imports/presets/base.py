"""What a source of CSV files is: the fields it reads, the file columns that hold them,
and how its rows become rows of our columns (a reducer).

``Source("", kind)`` is Recoup's own columns (docs/import-formats.md); the presets of
other tools' exports are in ``tools.py``. A reducer gets the file's rows as
``(line, {field: cell})`` and yields ``(line, {our column: cell})``; a few fields carry
lists (``payments``: the dated payments an export shows for an invoice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from recoup.core.exported_values import ValueProblem, read_amount
from recoup.ledger.imports.columns import COLUMNS

Row = tuple[int, dict]


@dataclass(frozen=True)
class Field:
    """One thing a source reads: from the first of ``headers`` the file has, or from all of
    ``parts`` joined by line breaks (an address spread over columns)."""

    name: str
    headers: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    required: bool = False
    label: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return self.headers + self.parts


@dataclass
class Reduce:
    """What a reducer may use: the locale's decimal separator, and where problems go."""

    decimal: str
    error: Callable[[int, str, str], None]  # (line, field, message)
    note: Callable[[int, str], None]  # (line, message): something left out on purpose


Reducer = Callable[[Iterable[Row], Reduce], Iterator[Row]]


def as_is(rows: Iterable[Row], _: Reduce) -> Iterator[Row]:
    yield from rows


@dataclass(frozen=True)
class Source:
    key: str  # "" for Recoup's own columns; else the --from name
    tool: str
    kind: str
    fields: tuple[Field, ...]
    reduce: Reducer = as_is
    strict: bool = False  # every file column must be known or mapped (Recoup's columns)
    header_anywhere: bool = False  # the header may follow a few preamble lines (a report title)
    relied_on: str = ""  # for the docs: which export, and whether a real file was available

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def ours(kind: str) -> Source:
    """Recoup's own columns for ``kind``: each column read from the header of that name."""
    fields = tuple(Field(c, headers=(c,), required=r) for c, r in COLUMNS[kind].items())
    return Source("", "Recoup", kind, fields, strict=True)


# --- reducers shared by several tools ----------------------------------------------------------

def _amount(value: str, ctx: Reduce, line: int, name: str) -> Decimal | None:
    try:
        return read_amount(value, decimal=ctx.decimal).value
    except ValueProblem as exc:
        ctx.error(line, name, str(exc))
        return None


def invoice_lines(*, line_total: str = "", first_wins: tuple[str, ...] = ()) -> Reducer:
    """Documents exported one row per line item, grouped by ``number``.

    Document-level cells must be the same on every line (except ``first_wins``: the first
    line's is kept). The amount is the sum of the ``line_total`` field when given, else the
    total repeated on each line.
    """

    def reduce(rows: Iterable[Row], ctx: Reduce) -> Iterator[Row]:
        groups: dict[str, tuple[int, dict, list[tuple[int, str]]]] = {}
        for line, values in rows:
            number = values.get("number", "").strip()
            if not number:
                ctx.error(line, "number", "is required")
                continue
            total = values.pop(line_total, "") if line_total else ""
            if number not in groups:
                groups[number] = (line, values, [(line, total)])
                continue
            first_line, first, totals = groups[number]
            totals.append((line, total))
            for name, value in values.items():
                if name not in first_wins and isinstance(value, str) and value.strip() != first.get(name, "").strip():
                    ctx.error(line, name, f"{value.strip()!r} differs from line {first_line} of invoice {number}"
                                          f" ({first.get(name, '').strip()!r})")
        for number, (line, values, totals) in groups.items():
            if line_total:
                amounts = [_amount(t, ctx, at, line_total) for at, t in totals if t.strip()]
                if None in amounts:
                    continue
                values["amount"] = str(sum(amounts, Decimal(0)))
            yield line, values

    return reduce


def summed(target: str, parts: tuple[str, ...]) -> Reducer:
    """Each row's ``target`` is the sum of its ``parts`` (net + tax); empty parts count as zero."""

    def reduce(rows: Iterable[Row], ctx: Reduce) -> Iterator[Row]:
        for line, values in rows:
            amounts = [_amount(values.pop(p), ctx, line, p) for p in parts if values.get(p, "").strip()]
            if None not in amounts:
                values[target] = str(sum(amounts, Decimal(0)))
                yield line, values

    return reduce


def chain(*reducers: Reducer) -> Reducer:
    def reduce(rows: Iterable[Row], ctx: Reduce) -> Iterator[Row]:
        for step in reducers:
            rows = step(rows, ctx)
        yield from rows

    return reduce


def named_customer(first: str = "_first", last: str = "_last") -> Reducer:
    """Customers whose name may be empty when a person's first and last names are given."""

    def reduce(rows: Iterable[Row], ctx: Reduce) -> Iterator[Row]:
        for line, values in rows:
            person = " ".join(v for v in (values.pop(first, "").strip(), values.pop(last, "").strip()) if v)
            if not values.get("name", "").strip() and person:
                values["name"] = person
            yield line, values

    return reduce


def rows_where(test: Callable[[dict], bool], then: Reducer = as_is, dropped: str = "") -> Reducer:
    """Only the rows ``test`` accepts (e.g. one transaction type of a journal export)."""

    def reduce(rows: Iterable[Row], ctx: Reduce) -> Iterator[Row]:
        def kept() -> Iterator[Row]:
            for line, values in rows:
                if test(values):
                    yield line, values
                elif dropped:
                    ctx.note(line, dropped)

        yield from then(kept(), ctx)

    return reduce


def words(value: str) -> str:
    """A cell compared as a word: lower case, letters and digits only."""
    return "".join(c for c in value.lower() if c.isalnum())

