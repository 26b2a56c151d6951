"""Bank statements as CSV, read through a column profile.

A profile says how to read one bank's export: encoding, separator, decimal comma or
point, date format, which columns hold the date, the amount (or separate debit and
credit columns), the currency, the texts. The header row is found among the first
lines, so preamble lines before it (account number, balances) are skipped; rows whose
first cell starts with one of ``skip_prefixes`` (a balance footer) are ignored.
Organizations save their own profiles (``banking.CsvProfile``); a few built in below
read the exports of common banks and payment providers.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

import webencodings

from recoup.banking.parsers.base import ParsedLine, ParsedStatement, StatementError, to_minor_exact
from recoup.banking.parsers.encodings import windows_1252
from recoup.core.exported_values import ValueProblem, marker_fits, read_amount

HEADER_SEARCH_LINES = 30


@dataclass(frozen=True)
class Profile:
    name: str
    date_column: str
    date_format: str
    amount_column: str = ""
    debit_column: str = ""
    credit_column: str = ""
    currency_column: str = ""
    currency: str = ""  # fixed currency when there is no column; else the account's
    description_columns: tuple[str, ...] = ()
    name_column: str = ""
    account_column: str = ""
    reference_column: str = ""
    bank_ref_column: str = ""
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8-sig"
    skip_prefixes: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        named = [self.date_column, self.amount_column, self.debit_column, self.credit_column, self.currency_column,
                 *self.description_columns, self.name_column, self.account_column, self.reference_column,
                 self.bank_ref_column]
        return [c for c in named if c]

    def problems(self) -> list[str]:
        """What makes this profile unusable, in words (empty when it is fine)."""
        out = []
        if not self.date_column or not self.date_format:
            out.append("a profile needs a date column and a date format")
        if bool(self.amount_column) == bool(self.debit_column or self.credit_column):
            out.append("give either an amount column or debit and credit columns")
        if len(self.delimiter) != 1:
            out.append("the separator must be one character")
        if self.decimal not in (".", ","):
            out.append("the decimal separator must be '.' or ','")
        try:
            "x".encode(self.encoding)
        except LookupError:
            out.append(f"unknown encoding {self.encoding!r}")
        return out


BUILT_IN = {p.name: p for p in [
    Profile("debit-credit-decimal-comma", date_column="Date", date_format="%d/%m/%y", debit_column="Debit",
            credit_column="Credit", description_columns=("Label", "Detail"), bank_ref_column="Operation Number",
            decimal=",", skip_prefixes=("Balance at",)),
    Profile("odoo-sheet-en", date_column="Date", date_format="%m/%d/%Y", amount_column="Amount",
            currency_column="Currency", description_columns=("Label",), name_column="Partner Name",
            account_column="Bank Account"),
    Profile("fr-cp1252", date_column="Date", date_format="%Y/%m/%d", amount_column="Montant",
            description_columns=("Remarque",), encoding="cp1252"),
    Profile("csb43", date_column="transaction_date", date_format="%Y-%m-%d", amount_column="amount",
            currency_column="currency", description_columns=("item1", "item2"), reference_column="reference1",
            bank_ref_column="document_number"),
    Profile("stripe-balance", date_column="created_utc", date_format="%Y-%m-%d %H:%M:%S", amount_column="gross",
            currency_column="currency", description_columns=("reporting_category", "description"),
            bank_ref_column="balance_transaction_id"),
    Profile("paypal-statement-en", date_column="Date", date_format="%m/%d/%Y", amount_column="Gross",
            currency_column="Currency", description_columns=("Description",), name_column="Name",
            reference_column="Invoice ID", bank_ref_column="Transaction ID"),
    Profile("paypal-statement-es", date_column="Fecha", date_format="%d/%m/%Y", amount_column="Bruto",
            currency_column="Divisa", description_columns=("Descripción",), name_column="Nombre",
            reference_column="Id. de factura", bank_ref_column="Id. de transacción", decimal=","),
    Profile("paypal-activity-en", date_column="Date", date_format="%d/%m/%Y", amount_column="Gross",
            currency_column="Currency", description_columns=("Type", "Subject", "Note"), name_column="Name",
            reference_column="Invoice Number", bank_ref_column="Transaction ID"),
    Profile("adyen-settlement", date_column="Creation Date", date_format="%Y-%m-%d %H:%M:%S",
            debit_column="Net Debit (NC)", credit_column="Net Credit (NC)", currency_column="Net Currency",
            description_columns=("Type", "Modification Reference", "Modification Merchant Reference"),
            reference_column="Merchant Reference", bank_ref_column="Psp Reference"),
]}


def _text(data: bytes, profile: Profile) -> str:
    """The file in the profile's encoding; windows-1252 (also meant by latin1 and ascii) as browsers read it."""
    encoding = webencodings.lookup(profile.encoding)
    if encoding is not None and encoding.name == "windows-1252":
        return windows_1252(data)
    return data.decode(profile.encoding)


def _rows(data: bytes, profile: Profile) -> list[list[str]] | None:
    try:
        text = _text(data, profile)
    except UnicodeDecodeError:
        return None
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter))


def find_header(data: bytes, profile: Profile) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, column name -> index) when this profile reads this file."""
    rows = _rows(data, profile)
    if rows is None:
        return None
    wanted = profile.columns()
    for index, row in enumerate(rows[:HEADER_SEARCH_LINES]):
        names: dict[str, int] = {}
        for position, cell in enumerate(row):
            names.setdefault(cell.strip().lstrip("\ufeff"), position)
        if all(column in names for column in wanted):
            return index, names
    return None


# "CR" / "DR" (credit: money in; debit: money out) before or after the number, as bank exports write it.
_CREDIT_DEBIT = re.compile(r"(?:(?P<pre>CR|DR)\.?\s+(?P<rest>.+)|(?P<body>.*?)(?<![A-Za-z])\s*(?P<post>CR|DR)\.?)",
                           re.IGNORECASE)


def _amount(text: str, profile: Profile, currency: str, filename: str, place: str) -> int:
    """A cell's amount in minor units, money in > 0, read by ``core.exported_values.read_amount``: a sign
    before or after, brackets, ``CR``/``DR``, thousands grouped by ',' '.' space or apostrophe, and a
    currency symbol or code that must be the row's currency."""
    raw = text.strip()
    mark, body = "", raw
    found = _CREDIT_DEBIT.fullmatch(raw)
    if found:
        mark = (found["pre"] or found["post"]).upper()
        body = found["rest"] if found["pre"] else found["body"]
    if body.endswith("+") and not body.lstrip().startswith(("+", "-", "\u2212")):
        body = body[:-1]  # a plus sign after the number, as the trailing minus of the same exports
    try:
        amount = read_amount(body, decimal=profile.decimal)
    except ValueProblem as exc:
        detail = str(exc).replace(repr(body), repr(raw))
        if not detail.startswith(repr(raw)):  # "is empty": only CR or DR
            detail = f"{raw!r} is not an amount"
        raise StatementError(filename, place, detail) from None
    if not marker_fits(amount.marker, currency):
        raise StatementError(filename, place, f"{raw!r} is not an amount in {currency}, the currency of this row")
    value = amount.value
    if mark:
        if value < 0 or body.lstrip().startswith(("-", "\u2212", "(")):
            raise StatementError(filename, place, f"{raw!r} is not an amount: it has both a minus sign and {mark}; "
                                                  "write one or the other")
        value = value if mark == "CR" else -value
    return to_minor_exact(value, currency, filename=filename, place=place)


def parse(filename: str, data: bytes, profile: Profile, *, default_currency: str) -> list[ParsedStatement]:
    problems = profile.problems()
    if problems:
        raise StatementError(filename, f"profile {profile.name!r}", "; ".join(problems))
    try:
        _text(data, profile)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise StatementError(filename, f"line {line}",
                             f"byte 0x{data[exc.start]:02X} is not {profile.encoding} text (the encoding of profile "
                             f"{profile.name!r})") from None
    found = find_header(data, profile)
    if found is None:
        raise StatementError(filename, "header", f"profile {profile.name!r} does not fit: no row among the first "
                             f"{HEADER_SEARCH_LINES} has the columns {', '.join(profile.columns())}")
    header_index, names = found
    rows = _rows(data, profile) or []
    statement = ParsedStatement(format="csv", statement_id=f"csv:{profile.name}")

    def cell(row: list[str], column: str) -> str:
        position = names.get(column) if column else None
        return row[position].strip() if position is not None and position < len(row) else ""

    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        line_no = index + 1
        if not any(c.strip() for c in row):
            continue
        if any(row[0].strip().startswith(prefix) for prefix in profile.skip_prefixes):
            continue
        place = f"line {line_no}"
        currency = (cell(row, profile.currency_column) or profile.currency or default_currency).upper()
        raw_date = cell(row, profile.date_column)
        try:
            booked = datetime.strptime(raw_date, profile.date_format).date()
        except ValueError:
            raise StatementError(filename, f"{place}, column {profile.date_column!r}",
                                 f"{raw_date!r} is not a date in the format {profile.date_format}") from None
        if profile.amount_column:
            text = cell(row, profile.amount_column)
            if not text:
                raise StatementError(filename, f"{place}, column {profile.amount_column!r}", "amount is empty")
            minor = _amount(text, profile, currency, filename, f"{place}, column {profile.amount_column!r}")
        else:
            debit, credit = cell(row, profile.debit_column), cell(row, profile.credit_column)
            if not debit and not credit:
                raise StatementError(filename, place, f"neither {profile.debit_column!r} nor "
                                     f"{profile.credit_column!r} has an amount")
            minor = 0
            if credit:
                minor += abs(_amount(credit, profile, currency, filename, f"{place}, column {profile.credit_column!r}"))
            if debit:
                minor -= abs(_amount(debit, profile, currency, filename, f"{place}, column {profile.debit_column!r}"))
        statement.lines.append(ParsedLine(
            booking_date=booked, amount_minor=minor, currency=currency,
            counterparty_name=cell(row, profile.name_column), counterparty_account=cell(row, profile.account_column),
            reference=cell(row, profile.reference_column), bank_ref=cell(row, profile.bank_ref_column),
            remittance=" ".join(t for t in (cell(row, c) for c in profile.description_columns) if t), place=place,
        ))
    if statement.lines:
        statement.period_start = min(line.booking_date for line in statement.lines)
        statement.period_end = max(line.booking_date for line in statement.lines)
        statement.currency = statement.lines[0].currency
    return [statement]


def header_preview(data: bytes) -> str:
    """The first non-empty line, for an error message about a file no profile fits."""
    text = data[:4000].decode("utf-8", errors="replace").lstrip("\ufeff")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip(" ,;\t"):
            return f"line {number}: {line[:160]}"
    return "the file is empty"
