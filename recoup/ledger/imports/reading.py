"""Reading a CSV file as a stream, within limits, and matching its header to a source's fields.

The file is never read whole: bytes are decoded and split into rows as they are read,
and reading stops with an error at the first byte over ``Limits.max_bytes`` or the
first row over ``Limits.max_rows`` (defaults in settings: RECOUP_IMPORT_MAX_BYTES,
RECOUP_IMPORT_MAX_ROWS).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings

from recoup.ledger.imports.columns import IGNORE, missing_required, normalize
from recoup.ledger.imports.presets import Source

HEADER_SEARCH_ROWS = 30
PART_SEPARATOR = "\n"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20_000_000
    max_rows: int = 100_000
    max_errors: int = 500

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(max_bytes=settings.RECOUP_IMPORT_MAX_BYTES, max_rows=settings.RECOUP_IMPORT_MAX_ROWS,
                   max_errors=settings.RECOUP_IMPORT_MAX_ERRORS)


class ReadProblem(Exception):
    """The file cannot be read further: ``line`` and a message for the user."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _TooBig(Exception):
    pass


class _Capped(io.RawIOBase):
    """A binary stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, raw: BinaryIO, limit: int):
        self.raw, self.limit, self.count = raw, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise _TooBig()
        buffer[: len(data)] = data
        return len(data)


def _binary(data: bytes | str | BinaryIO) -> BinaryIO:
    if isinstance(data, str):
        return io.BytesIO(data.encode("utf-8"))
    if isinstance(data, bytes):
        return io.BytesIO(data)
    data.seek(0)
    return data


def csv_rows(data: bytes | str | BinaryIO, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` for every row with a non-blank cell; the line is where the row starts.

    Raises: ReadProblem for text that is not UTF-8, a NUL byte, a broken CSV row, or a
        file over the limits.
    """
    text = io.TextIOWrapper(io.BufferedReader(_Capped(_binary(data), limits.max_bytes)), encoding="utf-8-sig",
                            newline="")
    reader = csv.reader(text)
    line, rows = 1, 0
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                if any("\x00" in c for c in cells):
                    raise ReadProblem(line, "contains a NUL byte: is this a spreadsheet (.xlsx) rather than CSV?")
                rows += 1
                if rows > limits.max_rows + 1:  # the header is one of them
                    raise ReadProblem(line, f"more than {limits.max_rows:,} rows, the most one import takes "
                                            "(RECOUP_IMPORT_MAX_ROWS): split the file")
                yield line, [c.removeprefix("\ufeff") if rows == 1 else c for c in cells]
            line = reader.line_num + 1
    except _TooBig:
        raise ReadProblem(line, f"the file is larger than {limits.max_bytes / 1e6:g} MB, the most one import "
                                "takes (RECOUP_IMPORT_MAX_BYTES): split it") from None
    except UnicodeDecodeError as exc:
        raise ReadProblem(line, f"not UTF-8 text ({exc.reason}); save it as UTF-8 CSV") from None
    except csv.Error as exc:  # a field over the csv module's size limit, a NUL on older Pythons
        if "NUL" in str(exc):
            raise ReadProblem(line, "contains a NUL byte: is this a spreadsheet (.xlsx) rather than CSV?") from None
        raise ReadProblem(line, f"not a readable CSV file: {exc}") from None


@dataclass
class Layout:
    """Which field each header cell feeds (None: left out), and the header's problems."""

    header: list[str]
    line: int
    positions: list[str | None]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column as in the file, message)
    shown: dict[str, str] = field(default_factory=dict)  # field -> the file's column name(s)
    fatal: bool = False  # rows cannot be read meaningfully (a required column is missing)
    parts: set[str] = field(default_factory=set)  # fields read from several columns, joined
    rank: dict[int, int] = field(default_factory=dict)  # cell index -> place among its field's parts

    @property
    def present(self) -> set[str]:
        return {p for p in self.positions if p}

    def values(self, cells: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        parts: dict[str, list[tuple[int, str]]] = {}
        for index, (name, cell) in enumerate(zip(self.positions, cells)):
            if name in self.parts:  # an address over several columns, joined in the source's order
                parts.setdefault(name, []).append((self.rank.get(index, index), cell.strip()))
            elif name is not None:
                out[name] = cell
        for name, pieces in parts.items():
            out[name] = PART_SEPARATOR.join(p for _, p in sorted(pieces) if p)
        return out


def match_header(source: Source, cells: list[str], mapping: dict[str, str] | None, line: int = 1) -> Layout:
    """Match header cells to ``source``'s fields, ``mapping`` (file column -> field or "-") first."""
    mapped = {normalize(k): (IGNORE if normalize(v) == IGNORE else normalize(v)) for k, v in (mapping or {}).items()}
    names = set(source.field_names)
    layout = Layout(header=list(cells), line=line, positions=[])
    for target in sorted(set(mapped.values()) - {IGNORE} - names):
        layout.errors.append((target, f"--map target {target!r} is not a {source.kind} column"
                                      f" ({', '.join(n for n in source.field_names if not n.startswith('_'))})"))
    present = {normalize(c) for c in cells}
    by_user = set(mapped.values())
    alias: dict[str, str] = {}
    for f in source.fields:
        if f.name in by_user:
            continue  # the user's mapping says where this field is
        chosen = next((normalize(h) for h in f.headers if normalize(h) in present), None)
        if chosen is not None:
            alias.setdefault(chosen, f.name)
        for part in f.parts:
            alias.setdefault(normalize(part), f.name)
    parts_fields = layout.parts = {f.name for f in source.fields if f.parts}
    part_rank = {normalize(p): i for f in source.fields for i, p in enumerate(f.parts)}
    for index, cell in enumerate(cells):
        name = normalize(cell)
        target = mapped.get(name) or alias.get(name)
        if target == IGNORE or (not name and name not in mapped):
            layout.positions.append(None)
        elif target is None or target not in names:
            if source.strict and target is None:
                shown = cell.strip()
                layout.errors.append((shown, f"unknown column {shown!r} for {source.kind}; expected "
                                             f"{', '.join(source.field_names)} (map it with --map '{shown}=COLUMN'"
                                             f" or ignore it with --map '{shown}=-')"))
            layout.positions.append(None)
        elif target in layout.positions and target not in parts_fields:
            layout.errors.append((cell.strip(), f"column {target!r} appears twice"))
            layout.positions.append(None)
        else:
            layout.positions.append(target)
            layout.rank[index] = part_rank.get(name, 100 + index)
            layout.shown[target] = ", ".join(x for x in (layout.shown.get(target), cell.strip()) if x)
    missing = _missing(source, layout.present)
    layout.errors += [(column, message) for column, message in missing]
    layout.fatal = bool(missing)
    return layout


def _missing(source: Source, present: set[str]) -> list[tuple[str, str]]:
    if not source.key:
        return [(m.split("'")[1], m) for m in missing_required(source.kind, present)]
    return [(f.name, f"required column {' or '.join(repr(h) for h in f.names)} ({f.label or f.name}) is missing")
            for f in source.fields if f.required and f.name not in present]


def find_header(source: Source, rows: Iterator[tuple[int, list[str]]], mapping: dict[str, str] | None,
                ) -> Layout | None:
    """The header: the first row, or for exports with title lines the first of the first
    rows that has every required column (else the first row, to report what is missing)."""
    first = next(rows, None)
    if first is None:
        return None
    if not source.header_anywhere:
        return match_header(source, first[1], mapping, first[0])
    candidate = first
    for _ in range(HEADER_SEARCH_ROWS):
        layout = match_header(source, candidate[1], mapping, candidate[0])
        if not layout.fatal:
            return layout
        candidate = next(rows, None)
        if candidate is None:
            break
    return match_header(source, first[1], mapping, first[0])
