"""ISO 11649 structured creditor references ("RF references"), pure.

An RF reference is ``RF`` + two check digits + a body of 1 to 21 letters and
digits. The check digits make ``body + "RF" + check`` (letters as numbers,
A=10 ... Z=35) equal 1 modulo 97 (ISO 7064 MOD 97-10), the same rule as IBAN.
Validation is python-stdnum's ``iso11649``; this module makes references.
"""

from __future__ import annotations

import re

from stdnum import iso11649

MAX_BODY = 21
_BODY = re.compile(r"[0-9A-Z]{1,21}")


def creditor_reference(body: str) -> str:
    """``RF`` + check digits + ``body`` (letters and digits, upper case, 1 to 21 of them).

    Raises ValueError naming the body when it cannot be a reference.
    """
    body = body.upper()
    if not _BODY.fullmatch(body):
        raise ValueError(f"{body!r} cannot be a creditor reference: use 1 to {MAX_BODY} letters or digits")
    digits = "".join(str(int(c, 36)) for c in body + "RF00")  # A=10 ... Z=35
    check = 98 - int(digits) % 97
    reference = f"RF{check:02d}{body}"
    iso11649.validate(reference)  # belt and braces: the library agrees
    return reference


def invoice_reference_body(number: str, invoice_id: int) -> str:
    """The body for an invoice: its number without separators when that fits, else ``I`` + its id in base 36.

    ``INV-2026/0042`` -> ``INV20260042``; a number longer than 21 characters
    or with other characters falls back to the id, which is unique.
    """
    compact = re.sub(r"[\s\-./:_]", "", number).upper()
    if _BODY.fullmatch(compact) and not compact.startswith("I0"):
        return compact
    return "I0" + _base36(invoice_id)


def invoice_reference(number: str, invoice_id: int) -> str:
    """The RF reference printed for one invoice (see ``invoice_reference_body``)."""
    return creditor_reference(invoice_reference_body(number, invoice_id))


def payment_reference(number: str, invoice_id: int) -> str:
    """The reference a payer quotes for one invoice, as people read it (``RF83 INV1 0500``).

    The one answer for every place that asks for it: the messages, the portal's bank-transfer
    page and the invoice PDF (the EPC QR code carries the same reference without spaces).
    """
    return formatted(invoice_reference(number, invoice_id))


def formatted(reference: str) -> str:
    """In groups of four for people to read and type: ``RF18 5390 0754 7034``."""
    return iso11649.format(reference)


def is_valid(reference: str) -> bool:
    return iso11649.is_valid(reference)


def _base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out
