"""UN/CEFACT Cross Industry Invoice: EN 16931 CII (D16B), XRechnung, Factur-X and
ZUGFeRD 2 (every profile, MINIMUM to EXTENDED), and ZUGFeRD 1.0 CrossIndustryDocument.

Beyond EN 16931 (Factur-X/ZUGFeRD EXTENDED, ZUGFeRD 1.0): logistics service charges count with
the document charges (BT-108); lines that bill nothing are not stored (a free text with only a
note, a GROUP line restating its DETAIL lines, an INFORMATION line), each said in the notes; a
MINIMUM document, which has no paid amount (BT-113), owes its amount due when that is below its
total, the difference being what was paid.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from lxml import etree

from recoup.core.money import from_minor
from recoup.ledger.imports.einvoice.document import Document, Line, Party, TaxSubtotal
from recoup.ledger.imports.einvoice.totals import Totals, finish
from recoup.ledger.imports.einvoice.xmlread import Reader

CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
ZUGFERD1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
ROOTS = {CII: "CrossIndustryInvoice", ZUGFERD1: "CrossIndustryDocument"}
_MINIMUM = re.compile(r"(^|[:#])minimum$")  # urn:factur-x.eu:1p0:minimum, urn:zugferd.de:2p0:minimum

_V2 = {
    "ns": {"rsm": CII, "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
           "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"},
    "context": "rsm:ExchangedDocumentContext", "doc": "rsm:ExchangedDocument", "tx": "rsm:SupplyChainTradeTransaction",
    "agreement": "ram:ApplicableHeaderTradeAgreement", "settlement": "ram:ApplicableHeaderTradeSettlement",
    "sums": "ram:SpecifiedTradeSettlementHeaderMonetarySummation", "rate": "ram:RateApplicablePercent",
    "line_agreement": "ram:SpecifiedLineTradeAgreement", "line_delivery": "ram:SpecifiedLineTradeDelivery",
    "line_settlement": "ram:SpecifiedLineTradeSettlement",
    "line_sums": "ram:SpecifiedTradeSettlementLineMonetarySummation", "po": "ram:IssuerAssignedID",
}
_V1 = {
    "ns": {"rsm": ZUGFERD1, "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
           "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"},
    "context": "rsm:SpecifiedExchangedDocumentContext", "doc": "rsm:HeaderExchangedDocument",
    "tx": "rsm:SpecifiedSupplyChainTradeTransaction", "agreement": "ram:ApplicableSupplyChainTradeAgreement",
    "settlement": "ram:ApplicableSupplyChainTradeSettlement", "sums": "ram:SpecifiedTradeSettlementMonetarySummation",
    "rate": "ram:ApplicablePercent", "line_agreement": "ram:SpecifiedSupplyChainTradeAgreement",
    "line_delivery": "ram:SpecifiedSupplyChainTradeDelivery", "line_settlement": "ram:SpecifiedSupplyChainTradeSettlement",
    "line_sums": "ram:SpecifiedTradeSettlementMonetarySummation", "po": "ram:ID",
}


def _party(r: Reader, party: etree._Element | None, path: str) -> Party:
    if party is None:
        raise r.error(None, path, "buyer (BG-7)" if "Buyer" in path else "seller (BG-4)", "is missing")
    name = r.text("ram:Name", party)
    if not name:
        raise r.error(party, "ram:Name", "buyer name (BT-44)" if "Buyer" in path else "seller name (BT-27)", "is missing")
    vat = next((r.text(".", reg) for reg in r.all("ram:SpecifiedTaxRegistration/ram:ID", party)
                if reg.get("schemeID", "VA") == "VA"), "")
    ids = [r.text(".", x) for x in r.all("ram:ID", party) + r.all("ram:GlobalID", party)]
    ids.append(r.text("ram:SpecifiedLegalOrganization/ram:ID", party))
    addr = r.el("ram:PostalTradeAddress", party)
    address = ""
    if addr is not None:
        parts = [r.text(p, addr) for p in ("ram:LineOne", "ram:LineTwo", "ram:LineThree")]
        parts.append(" ".join(p for p in (r.text("ram:PostcodeCode", addr), r.text("ram:CityName", addr)) if p))
        parts += [r.text("ram:CountrySubDivisionName", addr), r.text("ram:CountryID", addr)]
        address = "\n".join(p for p in parts if p)
    email = r.text("ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID", party)
    if not email:
        email = next((r.text(".", u) for u in r.all("ram:URIUniversalCommunication/ram:URIID", party)
                      if u.get("schemeID") == "EM"), "")
    trading = r.text("ram:SpecifiedLegalOrganization/ram:TradingBusinessName", party)
    return Party(
        legal_name=name, trading_name=trading if trading != name else "", vat_id=vat,
        ids=tuple(dict.fromkeys(i for i in ids if i)),
        country=r.text("ram:PostalTradeAddress/ram:CountryID", party).upper(), address=address, email=email,
        contact_name=r.text("ram:DefinedTradeContact/ram:PersonName", party),
        phone=r.text("ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber", party),
    )


def _not_billed(r: Reader, item: etree._Element, p: dict, position: int) -> str:
    """Why a line item bills nothing and is not stored ("" when it bills something)."""
    line_id = r.text("ram:AssociatedDocumentLineDocument/ram:LineID", item) or str(position)
    status = r.text("ram:AssociatedDocumentLineDocument/ram:LineStatusReasonCode", item).upper()
    if status == "GROUP":
        return f"line {line_id} is a group line (its amounts restate its detail lines): not stored"
    if status == "INFORMATION":
        return f"line {line_id} is an information line: not stored"
    amounts = (f"{p['line_settlement']}/{p['line_sums']}/ram:LineTotalAmount",
               f"{p['line_agreement']}/ram:NetPriceProductTradePrice/ram:ChargeAmount",
               f"{p['line_agreement']}/ram:GrossPriceProductTradePrice/ram:ChargeAmount")
    notes = [r.text("ram:Content", n) for n in r.all("ram:AssociatedDocumentLineDocument/ram:IncludedNote", item)]
    text = " ".join(n for n in notes if n)
    if text and not any(r.el(path, item) is not None for path in amounts):
        return f"line {line_id} is a text line without amounts ({text if len(text) <= 60 else text[:59] + '…'}): not stored"
    return ""


def _lines(r: Reader, tx: etree._Element, p: dict, notes: list[str]) -> list[Line]:
    out = []
    for position, item in enumerate(r.all("ram:IncludedSupplyChainTradeLineItem", tx), start=1):
        skipped = _not_billed(r, item, p, position)
        if skipped:
            notes.append(skipped)
            continue
        agreement, settlement = r.el(p["line_agreement"], item), r.el(p["line_settlement"], item)
        price = r.decimal("ram:NetPriceProductTradePrice/ram:ChargeAmount", agreement,
                          field="item net price (BT-146)") if agreement is not None else None
        base = r.decimal("ram:NetPriceProductTradePrice/ram:BasisQuantity", agreement,
                         field="price base quantity (BT-149)", default=Decimal(1)) if agreement is not None else None
        quantity = r.decimal(f"{p['line_delivery']}/ram:BilledQuantity", item, field="invoiced quantity (BT-129)",
                             default=Decimal(1))
        if settlement is None:
            raise r.error(item, p["line_settlement"], "line net amount (BT-131)", "is missing")
        net = r.amount(f"{p['line_sums']}/ram:LineTotalAmount", settlement, field="line net amount (BT-131)",
                       required=True)
        rate = r.decimal(f"ram:ApplicableTradeTax/{p['rate']}", settlement, field="line VAT rate (BT-152)",
                         default=Decimal(0))
        name = r.text("ram:SpecifiedTradeProduct/ram:Name", item) or \
            f"Line {r.text('ram:AssociatedDocumentLineDocument/ram:LineID', item)}".strip()
        out.append(Line(description=name, quantity=quantity,
                        unit_price=(price / base) if price is not None and base else Decimal(0),
                        tax_rate=rate, net_minor=net, place=r.place(item)))
    return out


def _allowances(r: Reader, settlement: etree._Element, p: dict) -> list[Line]:
    out = []
    for ac in r.all("ram:SpecifiedTradeAllowanceCharge", settlement):
        charge = r.text("ram:ChargeIndicator/udt:Indicator", ac).lower() == "true"
        field = "document level charge amount (BT-99)" if charge else "document level allowance amount (BT-92)"
        amount = r.amount("ram:ActualAmount", ac, field=field, required=True)
        rate = r.decimal(f"ram:CategoryTradeTax/{p['rate']}", ac, field="VAT rate (BT-96/BT-103)", default=Decimal(0))
        reason = r.text("ram:Reason", ac) or r.text("ram:ReasonCode", ac)
        net = amount if charge else -amount
        out.append(Line(description=("Charge" if charge else "Allowance") + (f": {reason}" if reason else ""),
                        quantity=Decimal(1), unit_price=from_minor(net, r.currency), tax_rate=rate,
                        net_minor=net, place=r.place(ac), charge=charge))
    # Factur-X/ZUGFeRD EXTENDED and ZUGFeRD 1.0: freight and the like, counted with the charges (BT-108).
    for lc in r.all("ram:SpecifiedLogisticsServiceCharge", settlement):
        amount = r.amount("ram:AppliedAmount", lc, field="logistics service charge amount", required=True)
        rate = r.decimal(f"ram:AppliedTradeTax/{p['rate']}", lc, field="logistics service charge VAT rate",
                         default=Decimal(0))
        text = r.text("ram:Description", lc)
        out.append(Line(description="Logistics service charge" + (f": {text}" if text else ""), quantity=Decimal(1),
                        unit_price=from_minor(amount, r.currency), tax_rate=rate, net_minor=amount,
                        place=r.place(lc), charge=True))
    return out


def _taxes(r: Reader, settlement: etree._Element, p: dict) -> list[TaxSubtotal]:
    return [TaxSubtotal(
        category=r.text("ram:CategoryCode", tax),
        rate=r.decimal(p["rate"], tax, field="VAT category rate (BT-119)", default=Decimal(0)),
        basis_minor=r.amount("ram:BasisAmount", tax, field="VAT category taxable amount (BT-116)", default=0),
        tax_minor=r.amount("ram:CalculatedAmount", tax, field="VAT category tax amount (BT-117)", default=0),
    ) for tax in r.all("ram:ApplicableTradeTax", settlement)]


def parse(file: str, root: etree._Element) -> Document:
    v1 = etree.QName(root).namespace == ZUGFERD1
    p = _V1 if v1 else _V2
    r = Reader(file, root, p["ns"])
    doc, tx = r.el(p["doc"]), r.el(p["tx"])
    if doc is None or tx is None:
        raise r.error(None, p["doc"] if doc is None else p["tx"], "document", "is missing")
    agreement, settlement = r.el(p["agreement"], tx), r.el(p["settlement"], tx)
    if agreement is None or settlement is None:
        missing = p["agreement"] if agreement is None else p["settlement"]
        raise r.error(tx, missing, "document", "is missing")
    r.currency_code(f"{p['tx']}/{p['settlement']}/ram:InvoiceCurrencyCode", field="invoice currency code (BT-5)")
    sums = r.el(p["sums"], settlement)
    if sums is None:
        raise r.error(settlement, p["sums"], "document totals (BG-22)", "is missing")

    def total(tag: str, field: str, required: bool = False) -> tuple[int | None, str]:
        elements = [e for e in r.all(tag, sums) if e.get("currencyID", r.currency).strip() == r.currency]
        where = r.place(elements[0]) if elements else r.place(sums, tag)
        if not elements:
            if required:
                raise r.error(sums, tag, field, "is missing")
            return None, where
        amount = r.decimal(".", elements[0], field=field)
        return (r.amount(".", elements[0], field=field) if amount is not None else None), where

    grand = total("ram:GrandTotalAmount", "invoice total amount with VAT (BT-112)", required=True)
    prepaid = total("ram:TotalPrepaidAmount", "paid amount (BT-113)")
    rounding = total("ram:RoundingAmount", "rounding amount (BT-114)")
    payable = total("ram:DuePayableAmount", "amount due for payment (BT-115)")
    if payable[0] is None:  # optional in ZUGFeRD 1.0: then it is what is left of the grand total
        payable = (grand[0] - (prepaid[0] or 0) + (rounding[0] or 0), grand[1])
    guideline = r.text(f"{p['context']}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    notes: list[str] = []
    if _MINIMUM.search(guideline.lower()) and prepaid[0] is None and rounding[0] is None \
            and 0 <= payable[0] < grand[0]:
        # MINIMUM has no paid amount (BT-113): what the total exceeds the amount due by was paid.
        prepaid = (grand[0] - payable[0], payable[1])
        notes.append(f"MINIMUM profile: the amount due {from_minor(payable[0], r.currency)} is below the total "
                     f"{from_minor(grand[0], r.currency)} {r.currency}; the difference "
                     f"({from_minor(prepaid[0], r.currency)}) is taken as paid in advance (the profile has no paid "
                     "amount, BT-113)")
    totals = Totals(
        line_total=total("ram:LineTotalAmount", "sum of invoice line net amount (BT-106)"),
        allowance_total=total("ram:AllowanceTotalAmount", "sum of allowances on document level (BT-107)"),
        charge_total=total("ram:ChargeTotalAmount", "sum of charges on document level (BT-108)"),
        tax_exclusive=total("ram:TaxBasisTotalAmount", "invoice total amount without VAT (BT-109)"),
        tax_total=total("ram:TaxTotalAmount", "invoice total VAT amount (BT-110)"),
        tax_inclusive=grand, prepaid=prepaid, rounding=rounding, payable=payable,
    )
    terms = r.all("ram:SpecifiedTradePaymentTerms", settlement)
    # Several terms (EXTENDED: instalments, discounts): the latest date is when the whole is due.
    dues = [r.cii_date("ram:DueDateDateTime/udt:DateTimeString", t, field="payment due date (BT-9)") for t in terms]
    due = max((d for d in dues if d), default=None)
    refs = [r.text("ram:IssuerAssignedID", ref) for ref in r.all("ram:InvoiceReferencedDocument", settlement)]
    lines = _lines(r, tx, p, notes)
    document = finish(
        file=file, syntax="ZUGFeRD 1.0" if v1 else "UN/CEFACT CII", profile=guideline,
        type_code=r.text("ram:TypeCode", doc, field="invoice type code (BT-3)") or "380", credit=False,
        number=r.text("ram:ID", doc, field="invoice number (BT-1)", required=True),
        issue_date=r.cii_date("ram:IssueDateTime/udt:DateTimeString", doc, field="invoice issue date (BT-2)",
                              required=True),
        currency=r.currency, due_date=due,
        terms_text=" ".join(r.text("ram:Description", t) for t in terms).strip(),
        buyer=_party(r, r.el("ram:BuyerTradeParty", agreement), f"{p['agreement']}/ram:BuyerTradeParty"),
        seller=_party(r, r.el("ram:SellerTradeParty", agreement), f"{p['agreement']}/ram:SellerTradeParty"),
        lines=lines, allowances_charges=_allowances(r, settlement, p), taxes=_taxes(r, settlement, p),
        totals=totals, referenced_invoices=[x for x in refs if x],
        po_number=r.text(f"ram:BuyerOrderReferencedDocument/{p['po']}", agreement),
        places={"number": r.place(r.el("ram:ID", doc)), "buyer": r.place(agreement, "ram:BuyerTradeParty"),
                "reference": r.place(settlement, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID")},
    )
    return replace(document, notes=tuple(notes)) if notes else document
