"""From a file's bytes to a Document: UBL or CII XML, or a PDF carrying one (Factur-X, ZUGFeRD)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from lxml import etree

from recoup.ledger.imports.einvoice import cii, ubl
from recoup.ledger.imports.einvoice.document import Document, EInvoiceError
from recoup.ledger.imports.einvoice.xmlread import parse_xml

# Preferred first when a PDF carries more than one: Factur-X / ZUGFeRD 2 name, XRechnung, then ZUGFeRD 1.
_PREFERRED = ("factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml")


@dataclass(frozen=True)
class Read:
    document: Document
    pdf: bytes | None  # the PDF to keep as the invoice document
    notes: tuple[str, ...] = ()


def parse_document(file: str, data: bytes) -> Document:
    """Parse UBL or CII XML into a Document; raises EInvoiceError naming the place."""
    root = parse_xml(file, data)
    namespace = etree.QName(root).namespace or ""
    if namespace in ubl.ROOTS and etree.QName(root).localname == ubl.ROOTS[namespace]:
        return ubl.parse(file, root)
    if namespace in cii.ROOTS and etree.QName(root).localname == cii.ROOTS[namespace]:
        return cii.parse(file, root)
    raise EInvoiceError(file, "/" + etree.QName(root).localname, "root element",
                        f"{{{namespace}}}{etree.QName(root).localname} is not an e-invoice: expected a UBL 2.1 Invoice "
                        "or CreditNote, a UN/CEFACT CrossIndustryInvoice or a ZUGFeRD 1.0 CrossIndustryDocument")


def _attachments(file: str, data: bytes) -> dict[str, bytes]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if len(data) < 64 or not data.lstrip()[:5] == b"%PDF-":
        raise EInvoiceError(file, "byte 0", "file", f"not a readable PDF ({len(data)} bytes; the file is truncated "
                                                    "or not a PDF)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about repaired files are noise here
    try:
        reader = PdfReader(_bytes_io(data))
        found = reader.attachments
        return {name: contents[0] for name, contents in found.items() if contents}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EInvoiceError(file, "PDF", "file", f"not a readable PDF: {exc}") from None


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _same(a: Document, b: Document) -> bool:
    return (a.number, a.currency, a.payable_minor, a.issue_date) == (b.number, b.currency, b.payable_minor, b.issue_date)


def read_pdf(file: str, data: bytes) -> Read:
    """The e-invoice a PDF carries. Two that agree: the Factur-X one is used; two that disagree: refused."""
    xmls = {name: body for name, body in _attachments(file, data).items() if name.lower().endswith(".xml")}
    documents: dict[str, Document] = {}
    errors: list[EInvoiceError] = []
    for name, body in xmls.items():
        try:
            documents[name] = parse_document(f"{file}!{name}", body)
        except EInvoiceError as exc:
            errors.append(exc)
    if not documents:
        if errors:
            raise errors[0]
        others = f" (it carries only {', '.join(sorted(_attachments(file, data)))})" if xmls or _attachments(file, data) else ""
        raise EInvoiceError(file, "/Root/Names/EmbeddedFiles", "embedded invoice XML",
                            "the PDF carries no e-invoice XML (factur-x.xml, xrechnung.xml or ZUGFeRD-invoice.xml)"
                            f"{others}: it is a plain PDF; enter the invoice by hand or ask for the e-invoice")
    order = sorted(documents, key=lambda n: (_PREFERRED.index(n.lower()) if n.lower() in _PREFERRED else 9, n))
    chosen = documents[order[0]]
    notes: list[str] = []
    for other in order[1:]:
        if not _same(chosen, documents[other]):
            d = documents[other]
            raise EInvoiceError(file, "/Root/Names/EmbeddedFiles", "embedded invoice XML",
                                f"the PDF carries two different invoices: {order[0]} ({chosen.number}, "
                                f"{chosen.payable_minor} minor {chosen.currency}) and {other} ({d.number}, "
                                f"{d.payable_minor} minor {d.currency}); refusing to guess")
        notes.append(f"the PDF carries both {order[0]} and {other} for the same invoice; {order[0]} was read")
    all_notes = (*chosen.notes, *notes)
    return Read(document=replace(chosen, notes=all_notes), pdf=data, notes=all_notes)


def read_file(file: str, data: bytes) -> Read:
    """Read one uploaded file: a PDF (by content or by name) or XML."""
    if data.lstrip()[:5] == b"%PDF-" or file.lower().endswith(".pdf"):
        return read_pdf(file, data)
    if not data.strip():
        raise EInvoiceError(file, "byte 0", "file", "the file is empty")
    document = parse_document(file, data)
    return Read(document=document, pdf=None, notes=document.notes)
