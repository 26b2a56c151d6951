"""SWIFT MT940 (statement) and MT942 (interim report), read with the ``mt-940`` library.

Before the library sees the text, the tags are checked line by line so a broken file
is refused with its line number (the library silently accepts stray tags). A file
holding several statements (one ``:20:`` each) becomes one statement per ``:20:``.
Text is decoded as UTF-8, else CP852 (the library's own fallback).
"""

from __future__ import annotations

import re
from decimal import Decimal

import mt940 as mt940_lib
from mt940.tags import Statement as _StatementTag

from recoup.banking.parsers.base import ParsedLine, ParsedStatement, StatementError, to_minor_exact

KNOWN_TAGS = {"20", "21", "25", "25P", "28", "28C", "60F", "60M", "61", "62F", "62M", "64", "65", "86",
              "34F", "13", "13D", "90D", "90C", "NS"}
_TAG = re.compile(r"^:(\d{2,4}[A-Z]?|NS):")
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{10,30})\b")


# RC (reversal of a credit) is money out and RD (reversal of a debit) money in; the library
# signs only a plain D unless asked (its next major release will by default).
OPTIONS = mt940_lib.Options(reversal_sign=True, case_insensitive_marks=True)


class Statement(_StatementTag):  # same class name: the library keys its processors on it
    # Banks (SNS, ...) put a counter-account IBAN of 18 characters where the
    # 16-character customer reference goes; allow up to 34.
    pattern = _StatementTag.pattern.replace(r"((?!//)[^\n]){0,16}", r"((?!//)[^\n]){0,34}")


def looks_like(data: bytes) -> bool:
    head = data[:3000]
    return bool(re.search(rb"(^|\n|\{4:\r?\n?):20:", head)) or b"\n:61:" in data[:20000]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp852")


def _messages(filename: str, text: str) -> list[tuple[int, list[str]]]:
    """Split into (first line number, lines) per ``:20:``, checking every tag on the way."""
    messages: list[tuple[int, list[str]]] = []
    seen_61 = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip("\x01\x03\r")
        line = re.sub(r"^\{1:[^}]*\}(\{2:[^}]*\})?(\{3:[^}]*\})?\{4:", "", line)
        if line.strip() in ("-}", "-", "}") or (not line.strip() and not messages):
            continue
        found = _TAG.match(line)
        if found:
            tag = found[1]
            if tag in ("940", "942") and not messages:
                continue  # Rabobank's ":940:" file header
            if tag not in KNOWN_TAGS:
                raise StatementError(filename, f"line {number}", f"{found[0]!r} is not an MT940/MT942 tag")
            if tag == "20":
                messages.append((number, []))
                seen_61 = False
            elif not messages:
                raise StatementError(filename, f"line {number}",
                                     f"{found[0]!r} before the first :20: (transaction reference)")
            elif tag == "61":
                seen_61 = True
            elif tag in ("25", "25P", "28C", "60F", "60M") and seen_61:
                raise StatementError(filename, f"line {number}",
                                     f"{found[0]!r} after a :61: transaction line; expected :86:, :61: or :62F:")
        elif not messages:
            continue  # a bank's preamble before the first :20: ("ABNANL2A", "0000 01INGBNL2AXXXX")
        messages[-1][1].append(line)
    if not messages:
        raise StatementError(filename, "line 1", "no MT940/MT942 statement (:20:) in this file")
    return messages


def _details(data: dict) -> tuple[str, str, str, str]:
    """(counterparty name, account, remittance, end-to-end id) from :86: and its parsed fields."""
    raw = str(data.get("transaction_details") or "")
    name = str(data.get("applicant_name") or "").strip()
    account = str(data.get("applicant_iban") or data.get("gvc_applicant_iban") or "").strip()
    remittance = " ".join(str(data.get(k) or "") for k in ("purpose", "additional_purpose")).strip()
    e2e = str(data.get("end_to_end_reference") or "").strip()
    flat = raw.replace("\n", "")
    if "/NAME/" in flat or "/REMI/" in flat:  # Rabobank/ING structured :86:
        fields = dict(re.findall(r"/(NAME|REMI|IBAN|EREF|ADDR)/(.*?)(?=/(?:[A-Z]{4})/|$)", flat))
        name = name or fields.get("NAME", "").strip()
        remittance = remittance or fields.get("REMI", "").strip()
        account = account or fields.get("IBAN", "").strip()
        e2e = e2e or fields.get("EREF", "").strip()
    if not remittance:
        remittance = " ".join(raw.split())
    extra = str(data.get("extra_details") or "").strip()
    if not account and _IBAN.fullmatch(extra or "-"):
        account = extra
    elif not name and extra and not _IBAN.search(extra):
        name = extra
    if not account:
        customer_ref = str(data.get("customer_reference") or "").strip()
        if _IBAN.fullmatch(customer_ref or "-"):
            account = customer_ref
    if not account and (found := _IBAN.search(raw.split("\n")[0] if raw else "")):
        account = found[1]
    return name, account, remittance, "" if e2e.upper() in ("NOTPROVIDED", "NONREF") else e2e


def _statement(filename: str, first_line: int, lines: list[str]) -> ParsedStatement:
    text = "\n".join(lines) + "\n"
    places = [first_line + i for i, line in enumerate(lines) if line.startswith(":61:")]
    try:
        transactions = mt940_lib.models.Transactions(tags={61: Statement()}, options=OPTIONS)
        transactions.parse(text)
    except Exception as exc:  # the library raises RuntimeError/ValueError/KeyError with the bad field
        detail = str(exc.args[0] if exc.args else exc).splitlines()[0][:200]
        raise StatementError(filename, f"statement starting line {first_line}", f"unreadable MT940: {detail}") from None
    info = transactions.data
    account = str(info.get("account_identification") or "").strip()
    iban = _IBAN.search(account.replace(" ", "") if account.count(" ") <= 1 else account)
    opening_tag = ":60F:" if info.get("final_opening_balance") else ":60M:"
    closing_tag = ":62F:" if info.get("final_closing_balance") else ":62M:"
    opening = info.get("final_opening_balance") or info.get("intermediate_opening_balance")
    closing = info.get("final_closing_balance") or info.get("intermediate_closing_balance")
    mt942 = any(line.startswith(":34F:") for line in lines)
    parsed = ParsedStatement(
        format="mt942" if mt942 else "mt940",
        statement_id=f"{info.get('transaction_reference', '')}/{info.get('statement_number', '')}"
                     f"/{info.get('sequence_number') or ''}",
        account_iban=iban[1] if iban else "", account_number="" if iban else account,
        intraday=mt942, place=f"statement starting line {first_line}",
    )

    def balance(value, tag: str) -> int:
        amount = value.amount
        place = f"line {first_line + next((i for i, x in enumerate(lines) if x.startswith(tag)), 0)}"
        return to_minor_exact(Decimal(str(amount.amount)), amount.currency, filename=filename, place=place)

    if opening is not None:
        parsed.opening_minor, parsed.period_start = balance(opening, opening_tag), opening.date
        parsed.opening_label, parsed.opening_currency = f"{opening_tag} of {opening.date}", opening.amount.currency
    if closing is not None:
        parsed.closing_minor, parsed.period_end = balance(closing, closing_tag), closing.date
        parsed.closing_label, parsed.closing_currency = f"{closing_tag} of {closing.date}", closing.amount.currency
    parsed.currency = parsed.opening_currency or parsed.closing_currency
    for index, tx in enumerate(transactions.transactions):
        data = tx.data
        if "amount" not in data:
            continue
        place = f"line {places[index]}" if index < len(places) else f"statement starting line {first_line}"
        amount = data["amount"]
        minor = to_minor_exact(Decimal(str(amount.amount)), amount.currency, filename=filename, place=place)
        name, account_no, remittance, e2e = _details(data)
        bank_ref = str(data.get("bank_reference") or "").strip()
        parsed.lines.append(ParsedLine(
            booking_date=data.get("entry_date") or data["date"], value_date=data["date"], amount_minor=minor,
            currency=amount.currency, counterparty_name=name, counterparty_account=account_no.replace(" ", ""),
            remittance=remittance, end_to_end_id=e2e, bank_ref="" if bank_ref == "NONREF" else bank_ref,
            is_return=str(data.get("status", "")).upper().startswith("R"), place=place,
        ))
        parsed.currency = parsed.currency or amount.currency
    return parsed


def parse(filename: str, data: bytes) -> list[ParsedStatement]:
    return [_statement(filename, first, lines) for first, lines in _messages(filename, _decode(data))]
