"""The EPC QR code for a SEPA credit transfer (EPC069-12, "Quick Response Code: guidelines
to enable data capture for the initiation of a SEPA credit transfer"), pure.

The payload is up to twelve lines separated by a line feed, in this order:

 1. Service tag ``BCD``
 2. Version ``002`` (the BIC may be left out inside the EEA)
 3. Character set ``1`` (UTF-8)
 4. Identification ``SCT``
 5. BIC of the beneficiary's bank (8 or 11 characters; may be empty in version 002)
 6. Beneficiary name (at most 70 characters)
 7. Beneficiary IBAN
 8. Amount: ``EUR`` and 0.01 to 999999999.99 with a dot and at most two decimals (may be empty)
 9. Purpose code (four letters, may be empty)
10. Structured remittance (an ISO 11649 RF reference, at most 35 characters) ...
11. ... or unstructured remittance (at most 140 characters): never both
12. Beneficiary to originator information (at most 70 characters, may be empty)

Trailing empty elements are left out, and the last line has no line feed. The
whole payload is at most 331 bytes; the code uses error correction level M.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

from stdnum import bic as bic_numbers
from stdnum import iban as iban_numbers

from recoup.core import rf

MAX_BYTES = 331
MAX_AMOUNT = Decimal("999999999.99")


class EpcError(ValueError):
    """The transfer cannot be put in an EPC QR code; the message names the field."""


def epc_payload(*, name: str, iban: str, amount: Decimal | None, currency: str = "EUR", bic: str = "",
                reference: str = "", text: str = "", purpose: str = "", info: str = "") -> str:
    """The EPC069-12 version 002 payload for one SEPA credit transfer.

    Args: the beneficiary's ``name``, ``iban`` and optional ``bic``; ``amount`` in euros
        (None leaves it to the payer); an RF ``reference`` or a free ``text`` (not both);
        an optional ``purpose`` code and ``info`` for the payer.
    Raises: EpcError naming the field that cannot be encoded.
    """
    if currency != "EUR":
        raise EpcError(f"currency: an EPC QR code is for euro transfers only, not {currency}")
    name = " ".join(name.split())
    if not name or len(name) > 70:
        raise EpcError("name: the beneficiary's name must be 1 to 70 characters")
    if not iban_numbers.is_valid(iban):
        raise EpcError(f"iban: {iban!r} is not a valid IBAN")
    bic = bic.replace(" ", "").upper()
    if bic and not bic_numbers.is_valid(bic):
        raise EpcError(f"bic: {bic!r} is not a valid BIC")
    shown_amount = ""
    if amount is not None:
        if amount != amount.quantize(Decimal("0.01")) or not Decimal("0.01") <= amount <= MAX_AMOUNT:
            raise EpcError(f"amount: {amount} must be 0.01 to {MAX_AMOUNT} with at most two decimals")
        shown_amount = f"EUR{amount.quantize(Decimal('0.01'))}"
    if reference and text:
        raise EpcError("reference: give a structured reference or a text, not both")
    if reference:
        reference = rf.iso11649.compact(reference)
        if not rf.is_valid(reference):
            raise EpcError(f"reference: {reference!r} is not an ISO 11649 creditor reference")
    if len(text) > 140:
        raise EpcError("text: at most 140 characters")
    if purpose and not re.fullmatch(r"[A-Z]{4}", purpose):
        raise EpcError(f"purpose: {purpose!r} is not a four-letter purpose code")
    if len(info) > 70:
        raise EpcError("info: at most 70 characters")
    lines = ["BCD", "002", "1", "SCT", bic, name, iban_numbers.compact(iban), shown_amount, purpose,
             reference, text, info]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > MAX_BYTES:
        raise EpcError(f"the payload is longer than {MAX_BYTES} bytes; shorten the name or the text")
    return payload


def epc_svg(payload: str, *, scale: int = 4, title: str = "") -> str:
    """The QR code (error correction M, as EPC069-12 requires) as an SVG document."""
    import segno

    code = segno.make(payload, error="m", micro=False, boost_error=False, encoding="utf-8")
    buf = io.BytesIO()
    code.save(buf, kind="svg", scale=scale, border=4, dark="#000", light="#fff", title=title or None, xmldecl=False, svgns=True)
    return buf.getvalue().decode("utf-8")
