"""From a file's bytes to a Document: UBL or CII XML, or a PDF carrying one (Factur-X, ZUGFeRD)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from lxml import etree

from recoup.ledger.imports.einvoice import cii, ubl
from recoup.ledger.imports.einvoice.document import Document, EInvoiceError
from recoup.ledger.imports.einvoice.xmlread import parse_xml

# The cap of one e-invoice when the caller gives none (the setting RECOUP_EINVOICE_MAX_FILE_BYTES's default).
DEFAULT_MAX_BYTES = 10_000_000


def megabytes(size: int) -> str:
    """``10 MB``, ``0.1 MB``: a limit as the settings give it, in decimal megabytes."""
    return f"{size / 1e6:g} MB"


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


def _attachments(file: str, data: bytes, max_bytes: int) -> tuple[dict[str, bytes], list[str]]:
    """(the XML files a PDF carries, by name; the names of all it carries). Only XML is unpacked, and
    no further than ``max_bytes`` for all of it together: pypdf's own output limits for every filter
    (Flate, LZW, run-length, Brotli) are lowered to that for this read, so a compressed stream that
    would unpack to gigabytes stops at the cap instead of filling memory."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    if len(data) < 64 or not data.lstrip()[:5] == b"%PDF-":
        raise EInvoiceError(file, "byte 0", "file", f"not a readable PDF ({len(data)} bytes; the file is truncated "
                                                    "or not a PDF)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about repaired files are noise here
    xmls: dict[str, bytes] = {}
    names: list[str] = []
    left = max_bytes
    caps = dict(zlib_maximum_output_length=max_bytes, lzw_maximum_output_length=max_bytes,
                run_length_maximum_output_length=max_bytes, brotli_maximum_output_length=max_bytes,
                stream_decoding_work_maximum_length=4 * max_bytes)
    try:
        with apply_configuration(**caps):
            for entry in PdfReader(_bytes_io(data)).attachment_list:
                own = [entry.name] + ([entry.alternative_name] if entry.alternative_name not in (None, entry.name)
                                      else [])
                names += [n for n in own if n not in names]
                wanted = [n for n in own if n.lower().endswith(".xml") and n not in xmls]
                if not wanted:
                    continue
                try:
                    content = entry.content
                except LimitReachedError:
                    content = None
                if content is None or len(content) > left:
                    raise EInvoiceError(file, f"/Root/Names/EmbeddedFiles/{wanted[0]}", "embedded invoice XML",
                                        f"{wanted[0]} unpacks to more than {megabytes(max_bytes)}, the most one "
                                        "e-invoice may be")
                left -= len(content)
                xmls.update((n, content) for n in wanted)
    except EInvoiceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EInvoiceError(file, "PDF", "file", f"not a readable PDF: {exc}") from None
    return xmls, names


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _same(a: Document, b: Document) -> bool:
    return (a.number, a.currency, a.payable_minor, a.issue_date) == (b.number, b.currency, b.payable_minor, b.issue_date)


def read_pdf(file: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Read:
    """The e-invoice a PDF carries. Two that agree: the Factur-X one is used; two that disagree: refused.
    The XML it carries may unpack to at most ``max_bytes``."""
    xmls, carried = _attachments(file, data, max_bytes)
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
        others = f" (it carries only {', '.join(sorted(carried))})" if carried else ""
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


def read_file(file: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Read:
    """Read one uploaded file: a PDF (by content or by name) or XML, of at most ``max_bytes``
    (for a PDF: and the XML it carries, unpacked)."""
    if len(data) > max_bytes:
        raise EInvoiceError(file, "byte 0", "file", f"the file is larger than {megabytes(max_bytes)}, the most one "
                                                    "e-invoice may be")
    if data.lstrip()[:5] == b"%PDF-" or file.lower().endswith(".pdf"):
        return read_pdf(file, data, max_bytes=max_bytes)
    if not data.strip():
        raise EInvoiceError(file, "byte 0", "file", "the file is empty")
    document = parse_document(file, data)
    return Read(document=document, pdf=None, notes=document.notes)
