"""E-invoice import: UBL 2.1 / Peppol BIS 3.0, UN/CEFACT CII (EN 16931, XRechnung),
Factur-X and ZUGFeRD (1.0 and 2.x), as XML or as a PDF carrying the XML.

    result = import_einvoices(org=org, files=[("inv.pdf", data)], actor=actor, now=now, dry_run=False)

Rules: docs/import-formats.md, "E-invoices". Parsing (``reading``, ``ubl``, ``cii``,
``totals``, ``terms``) is pure; ``importer`` and ``customers`` write through the
ledger's actions.
"""

from recoup.ledger.imports.einvoice.document import Document, DocumentKind, EInvoiceError
from recoup.ledger.imports.einvoice.importer import EInvoiceImportResult, FileResult, import_einvoices
from recoup.ledger.imports.einvoice.reading import parse_document, read_file

__all__ = ["Document", "DocumentKind", "EInvoiceError", "EInvoiceImportResult", "FileResult", "import_einvoices",
           "parse_document", "read_file"]
