"""Checking a document's totals add up (EN 16931 rules BR-CO-10 to BR-CO-16), and
turning it into ledger lines whose nets and VAT sum exactly to the amount due.

Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from recoup.core.money import from_minor, minor_to_text
from recoup.ledger.imports.einvoice.document import Document, DocumentKind, EInvoiceError, Line, Party, TaxSubtotal

# UNTDID 1001 document types that credit the buyer (BT-3).
CREDIT_TYPES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})

Amount = tuple[int | None, str]  # (minor units or None when absent, where it is)


@dataclass(frozen=True)
class Totals:
    line_total: Amount
    allowance_total: Amount
    charge_total: Amount
    tax_exclusive: Amount
    tax_total: Amount
    tax_inclusive: Amount
    prepaid: Amount
    rounding: Amount
    payable: Amount


def _check(file: str, currency: str, expected: int, stated: Amount, field: str, how: str) -> None:
    value, place = stated
    if value is not None and value != expected:
        raise EInvoiceError(file, place, field, f"is {minor_to_text(value, currency)} but {how} makes "
                                                f"{minor_to_text(expected, currency)} {currency}")


def _or(amount: Amount, default: int) -> int:
    return default if amount[0] is None else amount[0]


def check_totals(file: str, currency: str, lines: list[Line], allowances: list[Line],
                 taxes: list[TaxSubtotal], t: Totals) -> None:
    """Raise EInvoiceError naming the first total that does not add up."""
    line_sum = sum(x.net_minor for x in lines)
    allowance_sum = -sum(x.net_minor for x in allowances if not x.charge)
    charge_sum = sum(x.net_minor for x in allowances if x.charge)
    if lines:
        _check(file, currency, line_sum, t.line_total, "sum of invoice line net amount (BT-106)",
               "the sum of the line net amounts (BT-131)")
    line_total = _or(t.line_total, line_sum)
    if allowances:
        _check(file, currency, allowance_sum, t.allowance_total, "sum of allowances on document level (BT-107)",
               "the sum of the document allowances (BT-92)")
        _check(file, currency, charge_sum, t.charge_total, "sum of charges on document level (BT-108)",
               "the sum of the document charges (BT-99)")
    if t.line_total[0] is not None or lines:
        exclusive = line_total - _or(t.allowance_total, allowance_sum) + _or(t.charge_total, charge_sum)
        _check(file, currency, exclusive, t.tax_exclusive, "invoice total amount without VAT (BT-109)",
               "lines - allowances + charges (BT-106 - BT-107 + BT-108)")
    if taxes:
        _check(file, currency, sum(x.tax_minor for x in taxes), t.tax_total, "invoice total VAT amount (BT-110)",
               "the sum of the VAT breakdown (BT-117)")
    if t.tax_exclusive[0] is not None:
        inclusive = t.tax_exclusive[0] + _or(t.tax_total, sum(x.tax_minor for x in taxes))
        _check(file, currency, inclusive, t.tax_inclusive, "invoice total amount with VAT (BT-112)",
               "total without VAT + VAT (BT-109 + BT-110)")
    if t.tax_inclusive[0] is not None:
        payable = t.tax_inclusive[0] - _or(t.prepaid, 0) + _or(t.rounding, 0)
        _check(file, currency, payable, t.payable, "amount due for payment (BT-115)",
               "total with VAT - paid + rounding (BT-112 - BT-113 + BT-114)")


def _neg(line: Line) -> Line:
    return replace(line, quantity=-line.quantity, net_minor=-line.net_minor)


def finish(*, file: str, syntax: str, profile: str, type_code: str, credit: bool, number: str, issue_date: date,
           currency: str, due_date: date | None, terms_text: str, buyer: Party, seller: Party,
           lines: list[Line], allowances_charges: list[Line], taxes: list[TaxSubtotal], totals: Totals,
           referenced_invoices: list[str], po_number: str, places: dict[str, str]) -> Document:
    """Check the totals and build the Document; an invoice with a negative amount due becomes a credit note."""
    check_totals(file, currency, lines, allowances_charges, taxes, totals)
    payable, payable_place = totals.payable
    if payable is None:
        raise EInvoiceError(file, payable_place, "amount due for payment (BT-115)", "is missing")
    credit = credit or type_code in CREDIT_TYPES
    negated = False
    if payable < 0:
        if credit:
            raise EInvoiceError(file, payable_place, "amount due for payment (BT-115)",
                                f"a credit note with a negative amount ({minor_to_text(payable, currency)} "
                                f"{currency}) is not supported; issue it as an invoice")
        credit = negated = True
    sign = -1 if negated else 1
    tax_total = _or(totals.tax_total, sum(x.tax_minor for x in taxes))
    return Document(
        file=file, syntax=syntax, profile=profile, type_code=type_code,
        kind=DocumentKind.CREDIT_NOTE if credit else DocumentKind.INVOICE, number=number, issue_date=issue_date,
        currency=currency, due_date=due_date, terms_text=terms_text, buyer=buyer, seller=seller,
        lines=tuple(_neg(x) if negated else x for x in lines),
        allowances_charges=tuple(_neg(x) if negated else x for x in allowances_charges),
        taxes=tuple(replace(x, basis_minor=sign * x.basis_minor, tax_minor=sign * x.tax_minor) for x in taxes),
        tax_minor=sign * tax_total, prepaid_minor=sign * _or(totals.prepaid, 0),
        rounding_minor=sign * _or(totals.rounding, 0), payable_minor=sign * payable, payable_place=payable_place,
        referenced_invoices=tuple(dict.fromkeys(referenced_invoices)), po_number=po_number, negated=negated,
        places=places,
    )


def _tax_of(net_minor: int, rate: Decimal) -> int:
    return int((Decimal(net_minor) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ledger_lines(doc: Document) -> list[Line]:
    """The lines to store: the document's lines, its allowances and charges, any amount
    paid in advance and rounding, each with its share of the VAT.

    The VAT of each rate (BT-117) is spread over that rate's lines: each line gets its
    own rounded VAT and the rounding difference goes to the line with the largest net.
    The nets and VAT of the result sum exactly to the amount due (BT-115).
    """
    cur = doc.currency
    items = list(doc.lines) + list(doc.allowances_charges)
    if not doc.lines:
        # No lines (e.g. Factur-X MINIMUM, BASIC WL): one line per VAT rate for what the
        # allowances and charges do not explain, or one line for the whole.
        exclusive = doc.payable_minor + doc.prepaid_minor - doc.rounding_minor - doc.tax_minor
        basis: dict[Decimal, int] = defaultdict(int)
        for sub in doc.taxes:
            basis[sub.rate.normalize()] += sub.basis_minor
        if doc.taxes and sum(basis.values()) == exclusive:
            items = [Line(description=f"{doc.number} (VAT {rate:f} %)", quantity=Decimal(1),
                          unit_price=Decimal(0), tax_rate=rate, place="",
                          net_minor=amount - sum(x.net_minor for x in doc.allowances_charges
                                                 if x.tax_rate.normalize() == rate)) for rate, amount in basis.items()]
        else:
            rest = exclusive - sum(x.net_minor for x in doc.allowances_charges)
            items = [Line(description=doc.number, quantity=Decimal(1), unit_price=Decimal(0), tax_rate=Decimal(0),
                          net_minor=rest, place="", tax_minor=doc.tax_minor)]
            items[0] = replace(items[0], tax_minor=doc.tax_minor - sum(_tax_of(x.net_minor, x.tax_rate)
                                                                      for x in doc.allowances_charges))
        items = [replace(x, unit_price=from_minor(x.net_minor, cur)) for x in items if x.net_minor or x.tax_minor]
        items += list(doc.allowances_charges)
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_rate[item.tax_rate.normalize()].append(i)
    taxes = [item.tax_minor or _tax_of(item.net_minor, item.tax_rate) for item in items]
    stated = defaultdict(int)
    for sub in doc.taxes:
        stated[sub.rate.normalize()] += sub.tax_minor
    for rate, amount in stated.items():
        members = by_rate.get(rate) or by_rate.get(Decimal(0)) or list(range(len(items)))
        if members:
            biggest = max(members, key=lambda i: abs(items[i].net_minor))
            taxes[biggest] += amount - sum(taxes[i] for i in members)
    out = [replace(item, tax_minor=tax) for item, tax in zip(items, taxes)]
    if out and sum(taxes) != doc.tax_minor:
        biggest = max(range(len(out)), key=lambda i: abs(out[i].net_minor))
        out[biggest] = replace(out[biggest], tax_minor=out[biggest].tax_minor + doc.tax_minor - sum(taxes))
    if doc.prepaid_minor:
        out.append(Line(description="Paid in advance (BT-113)", quantity=Decimal(1),
                        unit_price=from_minor(-doc.prepaid_minor, cur), tax_rate=Decimal(0),
                        net_minor=-doc.prepaid_minor, place=""))
    if doc.rounding_minor:
        out.append(Line(description="Rounding (BT-114)", quantity=Decimal(1),
                        unit_price=from_minor(doc.rounding_minor, cur), tax_rate=Decimal(0),
                        net_minor=doc.rounding_minor, place=""))
    if sum(x.net_minor + x.tax_minor for x in out) != doc.payable_minor:
        raise EInvoiceError(doc.file, doc.payable_place, "amount due for payment (BT-115)",
                            "the lines, VAT, paid amount and rounding do not add up to the amount due")
    return out
