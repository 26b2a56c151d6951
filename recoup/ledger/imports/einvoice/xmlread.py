"""Reading e-invoice XML safely, and naming every place we read for error messages.

The parser resolves no entities, loads no DTD and touches no network, so a
hostile file cannot read local files or call out (XXE). Paths are written with
the prefixes of the standards (``cac:LegalMonetaryTotal/cbc:PayableAmount``)
and errors quote them as an XPath from the root.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from lxml import etree

from recoup.core.money import D, minor_exponent, to_minor
from recoup.ledger.imports.einvoice.document import EInvoiceError

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                       remove_comments=True, remove_pis=True)


def parse_xml(file: str, data: bytes) -> etree._Element:
    """The root element of ``data``; raises EInvoiceError for anything that is not well-formed XML."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data.lstrip(b"\xef\xbb\xbf \t\r\n"), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else 1
        raise EInvoiceError(file, f"line {line}", "file", f"not well-formed XML: {exc.msg}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise EInvoiceError(file, "/", "file", "a document type declaration (DTD) is not allowed in an e-invoice")
    return root


class Reader:
    """Typed getters over one document, with the standard's prefixes and precise errors."""

    def __init__(self, file: str, root: etree._Element, namespaces: dict[str, str]):
        self.file = file
        self.root = root
        self.ns = namespaces
        self.prefix_of = {uri: prefix for prefix, uri in namespaces.items()}
        self.currency = ""

    def _clark(self, path: str) -> str:
        steps = []
        for step in path.split("/"):
            prefix, _, name = step.rpartition(":")
            steps.append(f"{{{self.ns[prefix]}}}{name}" if prefix else name)
        return "/".join(steps)

    def all(self, path: str, base: etree._Element | None = None) -> list[etree._Element]:
        return (self.root if base is None else base).findall(self._clark(path))

    def el(self, path: str, base: etree._Element | None = None) -> etree._Element | None:
        return (self.root if base is None else base).find(self._clark(path))

    def place(self, element: etree._Element | None, path: str = "") -> str:
        """An XPath naming ``element`` (or ``path`` below it, when the element is missing)."""
        steps = []
        node = element if element is not None else self.root
        while node is not None:
            qname = etree.QName(node)
            prefix = self.prefix_of.get(qname.namespace or "", "")
            name = f"{prefix}:{qname.localname}" if prefix else qname.localname
            parent = node.getparent()
            if parent is not None:
                same = [c for c in parent if c.tag == node.tag]
                if len(same) > 1:
                    name += f"[{same.index(node) + 1}]"
            steps.append(name)
            node = parent
        where = "/" + "/".join(reversed(steps))
        return f"{where}/{path}" if path else where

    def error(self, base: etree._Element | None, path: str, field: str, message: str) -> EInvoiceError:
        found = self.el(path, base) if path else base
        where = self.place(found) if found is not None else self.place(base, path)
        return EInvoiceError(self.file, where, field, message)

    def text(self, path: str, base: etree._Element | None = None, *, field: str = "", required: bool = False) -> str:
        found = self.el(path, base)
        value = " ".join((found.text or "").split()) if found is not None else ""
        if required and not value:
            raise self.error(base, path, field, "is missing" if found is None else "is empty")
        return value

    def raw_text(self, path: str, base: etree._Element | None = None) -> str:
        found = self.el(path, base)
        return (found.text or "").strip() if found is not None else ""

    def decimal(self, path: str, base: etree._Element | None = None, *, field: str,
                required: bool = False, default: Decimal | None = None) -> Decimal | None:
        value = self.text(path, base, field=field, required=required)
        if not value:
            return default
        if not _NUMBER.fullmatch(value):
            raise self.error(base, path, field, f"{value!r} is not a number (use digits and a dot)")
        return D(value.lstrip("+"))

    def amount(self, path: str, base: etree._Element | None = None, *, field: str,
               required: bool = False, default: int | None = None) -> int | None:
        """An amount in minor units of the document currency, refusing more decimals than it has."""
        number = self.decimal(path, base, field=field, required=required)
        if number is None:
            return default
        found = self.el(path, base)
        stated = found.get("currencyID") if found is not None else None
        if stated and self.currency and stated.strip() != self.currency:
            raise self.error(base, path, field, f"is in {stated}, not the invoice currency {self.currency}")
        try:
            return to_minor(number, self.currency)
        except ValueError:
            raise self.error(base, path, field, f"{number} has more decimals than {self.currency} allows "
                                                f"({minor_exponent(self.currency)})") from None

    def iso_date(self, path: str, base: etree._Element | None = None, *, field: str,
                 required: bool = False) -> date | None:
        value = self.text(path, base, field=field, required=required)
        if not value:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise self.error(base, path, field, f"{value!r} is not a date (YYYY-MM-DD)") from None

    def cii_date(self, path: str, base: etree._Element | None = None, *, field: str,
                 required: bool = False) -> date | None:
        """A UN/CEFACT date: ``udt:DateTimeString`` in format 102 (YYYYMMDD)."""
        value = self.text(path, base, field=field, required=required)
        if not value:
            return None
        found = self.el(path, base)
        fmt = found.get("format", "102") if found is not None else "102"
        if fmt != "102" or not re.fullmatch(r"[0-9]{8}", value):
            raise self.error(base, path, field, f"{value!r} (format {fmt}) is not a date in format 102 (YYYYMMDD)")
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            raise self.error(base, path, field, f"{value!r} is not a calendar date") from None

    def currency_code(self, path: str, *, field: str) -> str:
        code = self.text(path, field=field, required=True).upper()
        try:
            minor_exponent(code)
        except ValueError as exc:
            raise self.error(None, path, field, str(exc)) from None
        self.currency = code
        return code
