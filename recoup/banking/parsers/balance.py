"""The balance invariant: a statement's opening balance plus its booked entries is its closing balance.

Checked for every statement that carries both booked balances (camt OPBD or PRCD and CLBD,
MT940 :60F:/:60M: and :62F:/:62M:). A statement that does not balance was read wrongly
(a sign, a lost entry) or written wrongly, and is refused with the difference.

Not checkable, so not checked: a statement with no balances (camt.054 notifications, CSV
exports, files that carry none), and one with a closing balance only (OFX has no opening
balance: LEDGERBAL is the balance at one moment). An intraday report (camt.052, MT942) may
carry an opening balance and no closing one; an end-of-day statement (camt.053, MT940)
that does is refused as possibly cut short.
"""

from __future__ import annotations

from recoup.banking.parsers.base import ParsedStatement, StatementError
from recoup.core.money import minor_with_code


def check(filename: str, statement: ParsedStatement) -> None:
    """Raise StatementError naming the statement when its balances and entries disagree."""
    opening, closing, currency = statement.opening_minor, statement.closing_minor, statement.currency
    if opening is None and closing is None:
        return
    for which, label, code in (("opening", statement.opening_label, statement.opening_currency),
                               ("closing", statement.closing_label, statement.closing_currency)):
        if code and code != currency:
            raise StatementError(filename, statement.place,
                                 f"the {which} balance ({label}) is in {code}, the statement in {currency}")
    if closing is None:
        if statement.intraday:
            return
        raise StatementError(filename, statement.place,
                             f"the statement has an opening balance ({statement.opening_label}) but no closing "
                             f"balance, so its entries cannot be checked; the file may be cut short")
    if opening is None:
        return
    others = sorted({line.currency for line in statement.lines} - {currency})
    if others:
        raise StatementError(filename, statement.place,
                             f"the balances are in {currency} but entries are in {', '.join(others)}; "
                             f"the statement cannot be checked")
    moved = sum(line.amount_minor for line in statement.lines)
    if opening + moved == closing:
        return
    count = len(statement.lines)
    raise StatementError(
        filename, statement.place,
        f"the statement does not balance: opening balance {minor_with_code(opening, currency)} "
        f"({statement.opening_label}) plus {count} entr{'y' if count == 1 else 'ies'} of "
        f"{minor_with_code(moved, currency)} is {minor_with_code(opening + moved, currency)}, but the closing "
        f"balance ({statement.closing_label}) is {minor_with_code(closing, currency)} "
        f"(difference {minor_with_code(closing - opening - moved, currency)})")
