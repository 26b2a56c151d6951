"""What an e-invoice says, normalised: the same dataclasses for UBL, CII and ZUGFeRD 1.

Pure: no Django, no I/O. Amounts are integer minor units of the document's
currency; ``EInvoiceError`` names the file, the place in it (an XPath) and the
field (with its EN 16931 business term, e.g. BT-115).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum


class EInvoiceError(ValueError):
    """A file we refuse, with where and why: ``file:place:field: message``."""

    def __init__(self, file: str, place: str, field: str, message: str):
        super().__init__(message)
        self.file, self.place, self.field, self.message = file, place, field, message

    def __str__(self) -> str:
        return f"{self.file}:{self.place}:{self.field}: {self.message}"


class DocumentKind(str, Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class Party:
    """The buyer (or seller) as the document names it."""

    legal_name: str
    trading_name: str = ""
    vat_id: str = ""
    ids: tuple[str, ...] = ()  # buyer identifiers (BT-46, legal registration BT-47, global ids)
    country: str = ""
    address: str = ""
    email: str = ""
    contact_name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Line:
    """An invoice line, or a document-level allowance (negative) or charge."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    net_minor: int
    place: str
    tax_minor: int = 0  # filled in by ``ledger_lines``
    charge: bool | None = None  # document level: True a charge, False an allowance; None an invoice line


@dataclass(frozen=True)
class TaxSubtotal:
    category: str
    rate: Decimal
    basis_minor: int
    tax_minor: int


@dataclass(frozen=True)
class Document:
    """One invoice or credit note read from a file; amounts in minor units of ``currency``."""

    file: str  # the name shown in messages: "a.pdf" or "a.pdf!factur-x.xml"
    syntax: str  # "UBL 2.1 Invoice", "UN/CEFACT CII", "ZUGFeRD 1.0"
    profile: str  # CustomizationID / guideline (BT-24)
    type_code: str  # BT-3
    kind: DocumentKind
    number: str
    issue_date: date
    currency: str
    due_date: date | None
    terms_text: str
    buyer: Party
    seller: Party
    lines: tuple[Line, ...]
    allowances_charges: tuple[Line, ...]
    taxes: tuple[TaxSubtotal, ...]
    tax_minor: int
    prepaid_minor: int
    rounding_minor: int
    payable_minor: int  # the amount due (BT-115), positive for a credit note
    payable_place: str
    referenced_invoices: tuple[str, ...] = ()
    po_number: str = ""
    negated: bool = False  # an invoice with a negative amount due, read as a credit note
    notes: tuple[str, ...] = field(default_factory=tuple)
    # XPaths of what the importer may refuse later: "number", "buyer", "reference".
    places: dict[str, str] = field(default_factory=dict)
