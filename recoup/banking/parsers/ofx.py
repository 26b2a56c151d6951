"""OFX 1.x (SGML) and 2.x (XML) bank and credit-card statements.

ofxtools reads the header and builds the element tree (both versions); its model
layer (``convert()``) is not used because it refuses many real bank files over
details that do not matter here (a 10-digit bank id, elements out of spec order).
Elements are read here with the place named as an element path.
"""

from __future__ import annotations

import codecs
import re
from datetime import date
from xml.etree.ElementTree import Element, ParseError as XMLParseError

from ofxtools.header import XML_REGEX, OFXHeaderError, OFXHeaderV1, OFXHeaderV2
from ofxtools.Parser import ParseError, TreeBuilder

from recoup.banking.parsers.encodings import decode_text
from recoup.banking.parsers.base import ParsedLine, ParsedStatement, StatementError, to_minor_exact

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_POSITION = re.compile(r"position=\[(\d+):")


def looks_like(data: bytes) -> bool:
    head = data[:2000].lstrip().upper()
    return head.startswith(b"OFXHEADER") or b"<OFX>" in head or (head.startswith(b"<?XML") and b"OFX" in head)


# OFX 1 names its code page in CHARSET (with ENCODING:USASCII); "1252" is not a WHATWG label.
_V1_CHARSETS = {"1252": "windows-1252", "NONE": ""}


def _refuse_header(filename: str, problem: str) -> StatementError:
    return StatementError(filename, "line 1", f"not an OFX header ({problem})")


def _body(filename: str, data: bytes) -> tuple[str, int]:
    """The markup after the header as text, and how many lines came before it.

    The header is ASCII by definition, so it is found with ofxtools' header patterns in the
    bytes (read as Latin-1, one character per byte); the body is decoded by ``encodings``
    from the encoding the header declares.
    """
    start = len(data) - len(data.lstrip())
    if data[start:start + 3] == codecs.BOM_UTF8:
        start += 3
    head = data[start:start + 4096].decode("latin-1")
    if head[:5].upper() == "<OFX>":
        body_at, declared = start, ""
    elif xml := XML_REGEX.match(head):
        found = OFXHeaderV2.regex.search(head)
        if found is None:
            raise _refuse_header(filename, "no <?OFX OFXHEADER=... ?> declaration after the XML declaration")
        try:
            OFXHeaderV2(**{key.lower(): value for key, value in found.groupdict().items()})
        except OFXHeaderError as exc:
            raise _refuse_header(filename, str(exc).splitlines()[0]) from None
        body_at, declared = start + found.end(), xml["encoding"] or "utf-8"
    else:
        found = OFXHeaderV1.regex.search(head)
        if found is None:
            raise _refuse_header(filename, "expected OFXHEADER, DATA, VERSION, SECURITY, ENCODING, CHARSET, "
                                           "OLDFILEUID and NEWFILEUID")
        encoding, charset = found["ENCODING"].upper(), found["CHARSET"].upper()
        declared = "utf-8" if encoding in ("UTF-8", "UNICODE") else _V1_CHARSETS.get(charset, charset)
        body_at = start + found.end()
    before = data[:body_at].count(b"\n")
    return decode_text(filename, data[body_at:], declared, first_line=before + 1), before


def _find(el: Element, path: str) -> str:
    found = el.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


class _Reader:
    def __init__(self, filename: str, default_currency: str):
        self.filename = filename
        self.default_currency = default_currency

    def date(self, el: Element, tag: str, path: str, required: bool = True) -> date | None:
        text = _find(el, tag)
        if not text:
            if required:
                raise StatementError(self.filename, f"{path}/{tag}", f"{tag} is empty or missing")
            return None
        match = _DATE.match(text)
        try:
            return date(int(match[1]), int(match[2]), int(match[3])) if match else date.fromisoformat("bad")
        except ValueError:
            raise StatementError(self.filename, f"{path}/{tag}", f"{text!r} is not a date") from None

    def amount(self, el: Element, tag: str, currency: str, path: str) -> int:
        text = _find(el, tag)
        if not text:
            raise StatementError(self.filename, f"{path}/{tag}", f"{tag} is empty or missing")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # some banks write a decimal comma
        if not re.fullmatch(r"[+-]?\d+(\.\d*)?|[+-]?\.\d+", text):
            raise StatementError(self.filename, f"{path}/{tag}", f"{text!r} is not an amount")
        return to_minor_exact(text, currency, filename=self.filename, place=f"{path}/{tag}")

    def statement(self, rs: Element, path: str) -> ParsedStatement:
        currency = _find(rs, "CURDEF").upper() or self.default_currency
        if not currency:
            raise StatementError(self.filename, f"{path}/CURDEF", "the statement's currency (CURDEF) is empty "
                                 "and no bank account currency was given")
        acct = rs.find("BANKACCTFROM")
        if acct is None:
            acct = rs.find("CCACCTFROM")
        number = _find(acct, "ACCTID") if acct is not None else ""
        iban = number.replace(" ", "") if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9 ]{10,32}", number) else ""
        parsed = ParsedStatement(format="ofx", account_iban=iban, account_number="" if iban else number,
                                 currency=currency, place=path)
        lists = rs.findall("BANKTRANLIST")
        for n, tranlist in enumerate(lists, start=1):
            lpath = f"{path}/BANKTRANLIST" + (f"[{n}]" if len(lists) > 1 else "")
            parsed.period_start = parsed.period_start or self.date(tranlist, "DTSTART", lpath, required=False)
            parsed.period_end = self.date(tranlist, "DTEND", lpath, required=False) or parsed.period_end
            for i, trn in enumerate(tranlist.findall("STMTTRN"), start=1):
                parsed.lines.append(self.line(trn, currency, f"{lpath}/STMTTRN[{i}]"))
        bal = rs.find("LEDGERBAL")
        # An empty LEDGERBAL (no amount, no date) means no balance; a dated one without amount is broken.
        if bal is not None and (_find(bal, "BALAMT") or _find(bal, "DTASOF")):
            parsed.closing_minor = self.amount(bal, "BALAMT", currency, f"{path}/LEDGERBAL")
            parsed.closing_label = f"LEDGERBAL of {_find(bal, 'DTASOF')[:8] or '?'}"
            parsed.closing_currency = currency
        parsed.statement_id = f"{number}:{parsed.period_start or ''}:{parsed.period_end or ''}"
        return parsed

    def line(self, trn: Element, currency: str, path: str) -> ParsedLine:
        line_currency = (_find(trn, "CURRENCY/CURSYM") or _find(trn, "ORIGCURRENCY/CURSYM") or currency).upper()
        minor = self.amount(trn, "TRNAMT", line_currency, path)
        name = _find(trn, "NAME") or _find(trn, "PAYEE/NAME")
        memo = _find(trn, "MEMO")
        return ParsedLine(
            booking_date=self.date(trn, "DTPOSTED", path), value_date=self.date(trn, "DTAVAIL", path, False),
            amount_minor=minor, currency=line_currency, counterparty_name=name,
            counterparty_account=_find(trn, "BANKACCTTO/ACCTID"), remittance=" ".join(p for p in (memo,) if p),
            reference=_find(trn, "REFNUM"), bank_ref=_find(trn, "FITID"),
            end_to_end_id=_find(trn, "CHECKNUM"),
            place=path,
        )


def parse(filename: str, data: bytes, *, default_currency: str = "") -> list[ParsedStatement]:
    body, offset = _body(filename, data)
    builder = TreeBuilder()
    try:
        builder.feed(body)
        root = builder.close()
    except (ParseError, XMLParseError, IndexError, AssertionError) as exc:
        found = _POSITION.search(str(exc))
        line = offset + body[: int(found[1])].count("\n") + 1 if found else None
        problem = str(exc).split(" in ")[0].split(" - position")[0]
        raise StatementError(filename, f"line {line}" if line else "", f"malformed OFX: {problem}") from None
    if root is None or root.tag != "OFX":
        raise StatementError(filename, "", "no <OFX> element")
    reader = _Reader(filename, default_currency)
    statements = []
    for msgs in root:
        for i, trnrs in enumerate(x for x in msgs if x.tag in ("STMTTRNRS", "CCSTMTTRNRS")):
            rs = trnrs.find("STMTRS") if trnrs.tag == "STMTTRNRS" else trnrs.find("CCSTMTRS")
            path = f"OFX/{msgs.tag}/{trnrs.tag}[{i + 1}]"
            if rs is None:
                code, message = _find(trnrs, "STATUS/CODE"), _find(trnrs, "STATUS/MESSAGE")
                raise StatementError(filename, f"{path}/STATUS",
                                     f"the bank returned no statement (status {code or '?'}: {message or 'no message'})")
            statements.append(reader.statement(rs, f"{path}/{rs.tag}"))
    if not statements:
        raise StatementError(filename, "OFX", "no statement (STMTRS or CCSTMTRS) in this file")
    return statements
