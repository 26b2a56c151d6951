"""OASIS UBL 2.1 Invoice and CreditNote, as Peppol BIS Billing 3.0 and EN 16931 use them."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from recoup.core.money import from_minor

from recoup.ledger.imports.einvoice.document import Document, Line, Party, TaxSubtotal
from recoup.ledger.imports.einvoice.totals import Totals, finish
from recoup.ledger.imports.einvoice.xmlread import Reader

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}


def _address(r: Reader, party: etree._Element) -> str:
    addr = r.el("cac:PostalAddress", party)
    if addr is None:
        return ""
    parts = [r.text(p, addr) for p in ("cbc:StreetName", "cbc:AdditionalStreetName")]
    parts += [r.text("cbc:Line", line) for line in r.all("cac:AddressLine", addr)]
    town = " ".join(p for p in (r.text("cbc:PostalZone", addr), r.text("cbc:CityName", addr)) if p)
    parts += [town, r.text("cbc:CountrySubentity", addr), r.text("cac:Country/cbc:IdentificationCode", addr)]
    return "\n".join(p for p in parts if p)


def _party(r: Reader, party: etree._Element | None, field: str) -> Party:
    if party is None:
        raise r.error(None, field, field.rsplit("/", 1)[0].split(":")[-1], "is missing")
    vat = ""
    for scheme in r.all("cac:PartyTaxScheme", party):
        if r.text("cac:TaxScheme/cbc:ID", scheme).upper() in ("VAT", ""):
            vat = vat or r.text("cbc:CompanyID", scheme)
    ids = [r.text("cbc:ID", pid) for pid in r.all("cac:PartyIdentification", party)]
    ids += [r.text("cac:PartyLegalEntity/cbc:CompanyID", party), r.text("cbc:EndpointID", party)]
    legal = r.text("cac:PartyLegalEntity/cbc:RegistrationName", party)
    trading = r.text("cac:PartyName/cbc:Name", party)
    if not (legal or trading):
        raise r.error(party, "cac:PartyLegalEntity/cbc:RegistrationName", "buyer name (BT-44)", "is missing")
    return Party(
        legal_name=legal or trading, trading_name=trading if trading != legal else "", vat_id=vat,
        ids=tuple(dict.fromkeys(i for i in ids if i)),
        country=r.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode", party).upper(),
        address=_address(r, party), email=r.text("cac:Contact/cbc:ElectronicMail", party),
        contact_name=r.text("cac:Contact/cbc:Name", party), phone=r.text("cac:Contact/cbc:Telephone", party),
    )


def _rate(r: Reader, base: etree._Element, path: str, field: str) -> tuple[str, Decimal]:
    category = r.el(path, base)
    if category is None:
        return "", Decimal(0)
    return r.text("cbc:ID", category), r.decimal("cbc:Percent", category, field=field, default=Decimal(0))


def _lines(r: Reader, credit: bool) -> list[Line]:
    tag, qty_tag = ("cac:CreditNoteLine", "cbc:CreditedQuantity") if credit else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    out = []
    for line in r.all(tag):
        quantity = r.decimal(qty_tag, line, field="invoiced quantity (BT-129)", default=Decimal(1))
        price = r.decimal("cac:Price/cbc:PriceAmount", line, field="item net price (BT-146)", default=None)
        base = r.decimal("cac:Price/cbc:BaseQuantity", line, field="price base quantity (BT-149)", default=Decimal(1))
        net = r.amount("cbc:LineExtensionAmount", line, field="line net amount (BT-131)", required=True)
        _, rate = _rate(r, line, "cac:Item/cac:ClassifiedTaxCategory", "line VAT rate (BT-152)")
        name = r.text("cac:Item/cbc:Name", line) or r.text("cac:Item/cbc:Description", line) or f"Line {r.text('cbc:ID', line)}"
        unit = (price / base) if price is not None and base else None
        out.append(Line(description=name, quantity=quantity, unit_price=unit if unit is not None else Decimal(0),
                        tax_rate=rate, net_minor=net, place=r.place(line)))
    return out


def _allowances(r: Reader) -> list[Line]:
    out = []
    for ac in r.all("cac:AllowanceCharge"):
        charge = r.text("cbc:ChargeIndicator", ac).lower() == "true"
        field = "document level charge amount (BT-99)" if charge else "document level allowance amount (BT-92)"
        amount = r.amount("cbc:Amount", ac, field=field, required=True)
        _, rate = _rate(r, ac, "cac:TaxCategory", "VAT rate (BT-96/BT-103)")
        reason = r.text("cbc:AllowanceChargeReason", ac) or r.text("cbc:AllowanceChargeReasonCode", ac)
        label = ("Charge" if charge else "Allowance") + (f": {reason}" if reason else "")
        net = amount if charge else -amount
        out.append(Line(description=label, quantity=Decimal(1), unit_price=from_minor(net, r.currency), tax_rate=rate,
                        net_minor=net, place=r.place(ac), charge=charge))
    return out


def _tax(r: Reader) -> tuple[int | None, list[TaxSubtotal]]:
    for total in r.all("cac:TaxTotal"):
        amount = r.el("cbc:TaxAmount", total)
        if amount is not None and amount.get("currencyID", r.currency).strip() != r.currency:
            continue  # the VAT in the accounting currency (BT-111): not what the buyer pays
        subtotals = []
        for sub in r.all("cac:TaxSubtotal", total):
            category, rate = _rate(r, sub, "cac:TaxCategory", "VAT category rate (BT-119)")
            subtotals.append(TaxSubtotal(
                category=category, rate=rate,
                basis_minor=r.amount("cbc:TaxableAmount", sub, field="VAT category taxable amount (BT-116)", default=0),
                tax_minor=r.amount("cbc:TaxAmount", sub, field="VAT category tax amount (BT-117)", default=0)))
        return r.amount("cbc:TaxAmount", total, field="invoice total VAT amount (BT-110)", default=0), subtotals
    return None, []


def parse(file: str, root: etree._Element) -> Document:
    name = ROOTS[etree.QName(root).namespace]
    r = Reader(file, root, {"": etree.QName(root).namespace, "cac": CAC, "cbc": CBC})
    credit = name == "CreditNote"
    r.currency_code("cbc:DocumentCurrencyCode", field="invoice currency code (BT-5)")
    number = r.text("cbc:ID", field="invoice number (BT-1)", required=True)
    issue = r.iso_date("cbc:IssueDate", field="invoice issue date (BT-2)", required=True)
    due = r.iso_date("cbc:DueDate", field="payment due date (BT-9)") or next(
        (d for d in (r.iso_date("cbc:PaymentDueDate", pm, field="payment due date (BT-9)")
                     for pm in r.all("cac:PaymentMeans")) if d), None)
    totals_el = r.el("cac:LegalMonetaryTotal")
    if totals_el is None:
        raise r.error(None, "cac:LegalMonetaryTotal", "document totals (BG-22)", "is missing")
    tax_total, taxes = _tax(r)

    def total(tag: str, field: str, required: bool = False) -> tuple[int | None, str]:
        return (r.amount(tag, totals_el, field=field, required=required),
                r.place(r.el(tag, totals_el)) if r.el(tag, totals_el) is not None else r.place(totals_el, tag))

    totals = Totals(
        line_total=total("cbc:LineExtensionAmount", "sum of invoice line net amount (BT-106)"),
        allowance_total=total("cbc:AllowanceTotalAmount", "sum of allowances on document level (BT-107)"),
        charge_total=total("cbc:ChargeTotalAmount", "sum of charges on document level (BT-108)"),
        tax_exclusive=total("cbc:TaxExclusiveAmount", "invoice total amount without VAT (BT-109)"),
        tax_total=(tax_total, r.place(None, "cac:TaxTotal/cbc:TaxAmount")),
        tax_inclusive=total("cbc:TaxInclusiveAmount", "invoice total amount with VAT (BT-112)"),
        prepaid=total("cbc:PrepaidAmount", "paid amount (BT-113)"),
        rounding=total("cbc:PayableRoundingAmount", "rounding amount (BT-114)"),
        payable=total("cbc:PayableAmount", "amount due for payment (BT-115)", required=True),
    )
    refs = [r.text("cac:InvoiceDocumentReference/cbc:ID", ref) for ref in r.all("cac:BillingReference")]
    return finish(
        file=file, syntax=f"UBL 2.1 {name}", profile=r.text("cbc:CustomizationID"),
        type_code=r.text("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode") or ("381" if credit else "380"),
        credit=credit, number=number, issue_date=issue, currency=r.currency, due_date=due,
        terms_text=" ".join(r.text("cbc:Note", t) for t in r.all("cac:PaymentTerms")).strip(),
        buyer=_party(r, r.el("cac:AccountingCustomerParty/cac:Party"), "cac:AccountingCustomerParty/cac:Party"),
        seller=_party(r, r.el("cac:AccountingSupplierParty/cac:Party"), "cac:AccountingSupplierParty/cac:Party"),
        lines=_lines(r, credit), allowances_charges=_allowances(r), taxes=taxes, totals=totals,
        referenced_invoices=[x for x in refs if x], po_number=r.text("cac:OrderReference/cbc:ID"),
        places={"number": f"/{name}/cbc:ID", "buyer": f"/{name}/cac:AccountingCustomerParty/cac:Party",
                "reference": f"/{name}/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"},
    )
