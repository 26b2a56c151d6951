"""CSV statement amounts as banks write them: brackets, a trailing minus, CR/DR, thousands in other
locales. Each case rewrites one cell of a real statement from the shared sample data and checks the
line reads as the original one does: a debit stays money out, whatever the notation."""

from __future__ import annotations

import csv
import io

import pytest

from recoup.banking.parsers import StatementError, read_file
from recoup.banking.parsers.csvfile import BUILT_IN, parse

SAMPLE = "csv/bank_sample_statement_en.csv"  # odoo-sheet-en: "-33.50" USD, "1,525.00" EUR
PAYPAL_ES = "csv/paypal_statement_es.csv"  # decimal comma: "49,37", "4.626,81"


def _with_amounts(data: bytes, column: str, cells: list[str], *, delimiter: str = ",") -> bytes:
    """The file with the first len(cells) values of ``column`` replaced."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    index = rows[0].index(column)
    for row, cell in zip(rows[1:], cells):
        row[index] = cell
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _amounts(data: bytes, profile: str) -> list[int]:
    [statement] = parse("x.csv", data, BUILT_IN[profile], default_currency="EUR")
    return [line.amount_minor for line in statement.lines]


@pytest.mark.parametrize("debit, credit", [
    ("(33.50)", "1,525.00"),     # accounting brackets
    ("33.50-", "1,525.00+"),     # sign after the number (AS/400 and SAP exports)
    ("33.50 DR", "1,525.00 CR"),  # debit / credit suffixes
    ("33.50DR", "1525.00CR"),
    ("33.50 Dr.", "1,525.00 Cr."),
    ("DR 33.50", "CR 1,525.00"),
    ("\u221233.50", "1 525.00"),  # U+2212 minus, a space grouping thousands
    ("-$33.50", "EUR 1,525.00"),  # a currency marker that fits the row's currency
])
def test_a_debit_in_any_notation_stays_money_out(shared_data, debit, credit):
    original = (shared_data / SAMPLE).read_bytes()
    assert _amounts(original, "odoo-sheet-en") == [-3350, 152500]
    assert _amounts(_with_amounts(original, "Amount", [debit, credit]), "odoo-sheet-en") == [-3350, 152500]


@pytest.mark.parametrize("cells, expected", [
    (["(49,37)", "28,82-", "35,78 DR", "1.022,47 CR"], [-4937, -2882, -3578, 102247]),
    (["49,37", "1.028,82", "1 035,78", "1\u00a0022,47"], [4937, 102882, 103578, 102247]),  # de / fr thousands
])
def test_decimal_comma_statements_read_every_notation(shared_data, cells, expected):
    data = _with_amounts((shared_data / PAYPAL_ES).read_bytes(), "Bruto", cells)
    assert _amounts(data, "paypal-statement-es") == expected


def test_a_decimal_point_amount_in_a_decimal_comma_file_is_not_read_a_hundred_times_larger(shared_data):
    # "12.50" in a decimal-comma profile was read as 1250.00; "1,5" in a decimal-point one as 15.00.
    data = _with_amounts((shared_data / PAYPAL_ES).read_bytes(), "Bruto", ["12.50"])
    assert _amounts(data, "paypal-statement-es")[0] == 1250
    data = _with_amounts((shared_data / SAMPLE).read_bytes(), "Amount", ["-1,5"])
    assert _amounts(data, "odoo-sheet-en")[0] == -150


def test_debit_and_credit_columns_read_brackets_and_suffixes(shared_data):
    # debit-credit-decimal-comma: "-50,00" in Debit; the same debits written "(50,00)" and "50,00 DR".
    path = "csv/bank_meta_data_separated_credit_debit.csv"
    text = (shared_data / path).read_bytes().decode()
    text = text.replace('"-50,00"', '"(50,00)"').replace('"-100,00"', '"100,00 DR"').replace('"1300,00"', '"1.300,00 CR"')
    [statement] = read_file("x.csv", text.encode(), default_currency="EUR")
    assert [line.amount_minor for line in statement.lines] == [-5000, -10000, -8068, 130000]


@pytest.mark.parametrize("cell, words", [
    ("33.50 XX", ["'33.50 XX'", "USD"]),           # a marker that is no currency of the row
    ("\u20ac33.50", ["'€33.50'", "USD"]),             # euros in a dollar row
    ("-33.50 DR", ["'-33.50 DR'", "minus sign and DR"]),
    ("(33.50) CR", ["'(33.50) CR'", "CR"]),
    ("33..50", ["'33..50' is not an amount"]),
    ("1,52,500.00", ["thousands"]),
])
def test_an_amount_that_cannot_be_read_one_way_is_refused_naming_its_cell(shared_data, cell, words):
    data = _with_amounts((shared_data / SAMPLE).read_bytes(), "Amount", [cell])
    with pytest.raises(StatementError) as caught:
        parse("x.csv", data, BUILT_IN["odoo-sheet-en"], default_currency="EUR")
    message = str(caught.value)
    assert "x.csv: line 2, column 'Amount'" in message
    for word in words:
        assert word in message
