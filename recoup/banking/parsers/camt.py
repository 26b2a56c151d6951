"""ISO 20022 camt.052 (account report), camt.053 (statement) and camt.054 (notification), any version.

Read with lxml; namespaces are dropped so every version (001.02 ... 001.08 and later)
reads alike. One statement line per booked entry (``Ntry``); an entry that batches
several transactions (``TxDtls``) each with its own amount summing to the entry's
becomes one line per transaction, because each may pay a different invoice.
Pending and information-only entries (``Sts`` PDNG/INFO) are not booked and are skipped.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from recoup.banking.parsers.base import ParsedLine, ParsedStatement, StatementError, to_minor_exact

CONTAINERS = {"BkToCstmrStmt": "Stmt", "BkToCstmrAcctRpt": "Rpt", "BkToCstmrDbtCdtNtfctn": "Ntfctn"}
# Booked balances only: opening booked (OPBD) or the previous statement's closing booked (PRCD),
# and closing booked (CLBD). Available balances (OPAV, CLAV, ITAV, FWAV) include value-dated
# and pending amounts, and interim ones (ITBD) a moment in the day: neither adds up with the entries.
OPENING = ("OPBD", "PRCD")
CLOSING = ("CLBD",)


def looks_like(data: bytes) -> bool:
    head = data[:4000]
    return b"camt.05" in head or any(c.encode() in head for c in CONTAINERS)


def _strip_namespaces(root: etree._Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = etree.QName(el).localname


def _text(el: etree._Element | None, path: str) -> str:
    if el is None:
        return ""
    found = el.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _texts(el: etree._Element, path: str) -> list[str]:
    return [(f.text or "").strip() for f in el.findall(path) if f.text and f.text.strip()]


class _Reader:
    def __init__(self, filename: str, tree: etree._ElementTree):
        self.filename = filename
        self.tree = tree

    def where(self, el: etree._Element, path: str | None = None) -> str:
        # getpath() counts siblings: fine once, quadratic for every entry of a long statement,
        # so entries pass the path they were found at.
        return f"line {el.sourceline} ({path or self.tree.getpath(el)})"

    def fail(self, el: etree._Element, problem: str, path: str | None = None) -> StatementError:
        return StatementError(self.filename, self.where(el, path), problem)

    def date_of(self, el: etree._Element | None, what: str, path: str, required: bool = True) -> date | None:
        if el is None:
            return None
        text = _text(el, "Dt") or _text(el, "DtTm")
        if not text:
            if required:
                raise self.fail(el, f"{what} has no date (Dt or DtTm)", path)
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise self.fail(el, f"{what} date {text!r} is not a date", path) from None

    def amount(self, el: etree._Element, path: str, sign_el: etree._Element | None = None) -> tuple[int, str]:
        currency = el.get("Ccy", "")
        if not el.text or not el.text.strip():
            raise self.fail(el, "amount is empty", path)
        try:
            minor = to_minor_exact(el.text, currency, filename=self.filename, place="")
        except StatementError as exc:
            raise self.fail(el, exc.problem, path) from None
        if minor < 0:  # the schema's amounts are 0 or more: turning "-20.00" DBIT into money in would be a guess
            raise self.fail(el, f"{el.text.strip()!r} is negative, but a camt amount has no sign (CdtDbtInd gives it)",
                            path)
        if sign_el is not None:
            indicator = _text(sign_el, "CdtDbtInd")
            if indicator not in ("CRDT", "DBIT"):
                raise self.fail(sign_el, f"CdtDbtInd must be CRDT or DBIT, not {indicator!r}", path.rsplit("/", 1)[0])
            if indicator == "DBIT":
                minor = -minor
        return minor, currency

    def statement(self, stmt: etree._Element, kind: str) -> ParsedStatement:
        spath = self.tree.getpath(stmt)
        acct = stmt.find("Acct")
        if acct is None:
            raise self.fail(stmt, "statement has no account (Acct)")
        parsed = ParsedStatement(
            format=kind, statement_id=_text(stmt, "Id"), account_iban=_text(acct, "Id/IBAN"),
            account_number=_text(acct, "Id/Othr/Id"), currency=_text(acct, "Ccy"),
            intraday=kind == "camt.052", place=self.where(stmt, spath),
        )
        booked: dict[str, tuple[str, int, str, date]] = {}
        for n, bal in enumerate(stmt.findall("Bal"), start=1):
            bpath = f"{spath}/Bal[{n}]"
            code = _text(bal, "Tp/CdOrPrtry/Cd") or _text(bal, "Tp/CdOrPrtry/Prtry")
            amt = bal.find("Amt")
            if amt is None:
                raise self.fail(bal, "balance has no amount (Amt)", bpath)
            minor, currency = self.amount(amt, f"{bpath}/Amt", bal)
            on = self.date_of(bal.find("Dt"), f"balance {code}", bpath) if bal.find("Dt") is not None else None
            if on is None:
                raise self.fail(bal, f"balance {code} has no date (Dt)", bpath)
            if code in OPENING + CLOSING and code not in booked:
                booked[code] = (code, minor, currency, on)
        opening = booked.get("OPBD") or booked.get("PRCD")
        closing = booked.get("CLBD")
        if opening is not None:
            code, parsed.opening_minor, parsed.opening_currency, parsed.period_start = opening
            parsed.opening_label = f"{code} of {parsed.period_start}"
        if closing is not None:
            code, parsed.closing_minor, parsed.closing_currency, parsed.period_end = closing
            parsed.closing_label = f"{code} of {parsed.period_end}"
        parsed.currency = parsed.currency or parsed.opening_currency or parsed.closing_currency
        for n, entry in enumerate(stmt.findall("Ntry"), start=1):
            status = _text(entry, "Sts") or _text(entry, "Sts/Cd")
            if status in ("PDNG", "INFO", "FUTR"):
                continue
            parsed.lines.extend(self.entry(entry, f"{spath}/Ntry[{n}]"))
        if parsed.period_start is None and parsed.lines:
            parsed.period_start = min(line.booking_date for line in parsed.lines)
        if parsed.period_end is None and parsed.lines:
            parsed.period_end = max(line.booking_date for line in parsed.lines)
        return parsed

    def entry(self, entry: etree._Element, path: str) -> list[ParsedLine]:
        amt = entry.find("Amt")
        if amt is None:
            raise self.fail(entry, "entry has no amount (Amt)", path)
        minor, currency = self.amount(amt, f"{path}/Amt", entry)
        booked = self.date_of(entry.find("BookgDt"), "booking", f"{path}/BookgDt", required=False)
        valued = self.date_of(entry.find("ValDt"), "value", f"{path}/ValDt", required=False)
        if booked is None and valued is None:
            raise self.fail(entry, "entry has neither a booking date (BookgDt) nor a value date (ValDt)", path)
        reversal = _text(entry, "RvslInd").lower() == "true"
        details = entry.findall("NtryDtls/TxDtls")
        common = dict(booking_date=booked or valued, value_date=valued, currency=currency,
                      bank_ref=_text(entry, "AcctSvcrRef"), place=self.where(entry, path))
        sign = -1 if minor < 0 else 1
        amounts = []
        tpaths = [f"{path}/NtryDtls/TxDtls[{j}]" if len(details) > 1 else f"{path}/NtryDtls/TxDtls"
                  for j in range(1, len(details) + 1)]
        for tx, tpath in zip(details, tpaths):
            tx_amt = tx.find("AmtDtls/TxAmt/Amt")
            if tx_amt is None:
                tx_amt = tx.find("Amt")
            amounts.append(None if tx_amt is None or tx_amt.get("Ccy") != currency
                           else self.amount(tx_amt, f"{tpath}/Amt")[0])
        split = len(details) > 1 and None not in amounts and sign * sum(amounts) == minor
        if split:
            return [self.line(tx, sign * part, reversal, {**common, "place": self.where(tx, tpath)})
                    for tx, part, tpath in zip(details, amounts, tpaths)]
        return [self.line(details[0] if details else None, minor, reversal, common, extra=details[1:])]

    def line(self, tx, minor: int, reversal: bool, common: dict, extra=()) -> ParsedLine:
        txs = [t for t in [tx, *extra] if t is not None]
        party = "Dbtr" if minor >= 0 else "Cdtr"
        name = account = reference = e2e = reason = ""
        remittance: list[str] = []
        for t in txs:
            name = name or _text(t, f"RltdPties/{party}/Nm") or _text(t, f"RltdPties/{party}/Pty/Nm")
            account = account or _text(t, f"RltdPties/{party}Acct/Id/IBAN") or _text(
                t, f"RltdPties/{party}Acct/Id/Othr/Id")
            reference = reference or _text(t, "RmtInf/Strd/CdtrRefInf/Ref")
            value = _text(t, "Refs/EndToEndId")
            e2e = e2e or ("" if value.upper() == "NOTPROVIDED" else value)
            remittance += _texts(t, "RmtInf/Ustrd") + _texts(t, "RmtInf/Strd/AddtlRmtInf")
            if not remittance:
                remittance += _texts(t, "AddtlTxInf")
            reason = reason or _text(t, "RtrInf/Rsn/Cd") or _text(t, "RtrInf/Rsn/Prtry")
            common["bank_ref"] = common["bank_ref"] or _text(t, "Refs/AcctSvcrRef")
        return ParsedLine(
            amount_minor=minor, counterparty_name=name, counterparty_account=account.replace(" ", ""),
            reference=reference, remittance=" ".join(remittance), end_to_end_id=e2e,
            is_return=reversal or bool(reason), return_reason=reason, **common,
        )


def parse(filename: str, data: bytes) -> list[ParsedStatement]:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        tree = etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as exc:
        raise StatementError(filename, f"line {exc.lineno}", f"not well-formed XML: {exc.msg}") from None
    root = tree.getroot()
    _strip_namespaces(root)
    reader = _Reader(filename, tree)
    body = next((child for child in root if child.tag in CONTAINERS), None)
    if body is None:
        raise reader.fail(root, "no camt.052/053/054 message (BkToCstmrStmt, BkToCstmrAcctRpt or "
                                "BkToCstmrDbtCdtNtfctn) in this document")
    kind = {"Stmt": "camt.053", "Rpt": "camt.052", "Ntfctn": "camt.054"}[CONTAINERS[body.tag]]
    statements = body.findall(CONTAINERS[body.tag])
    if not statements:
        raise reader.fail(body, f"the message holds no statement ({CONTAINERS[body.tag]}); nothing to import")
    return [reader.statement(stmt, kind) for stmt in statements]
