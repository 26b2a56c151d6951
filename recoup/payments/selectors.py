"""Reads for paying: is card payment on, and how to pay one invoice by bank transfer."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import iban as iban_numbers

from recoup.core.money import from_minor
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization
from recoup.core import rf
from recoup.payments.epc import EpcError, epc_payload
from recoup.payments.models import CheckoutSession, ProviderAccount
from recoup.payments.providers import for_account


@dataclass(frozen=True)
class BankTransfer:
    """What a payer needs to pay one invoice by transfer; ``epc`` is the QR payload (EUR with an IBAN) or ""."""

    holder: str
    bank_name: str
    iban: str
    iban_shown: str  # in groups of four, as people read it
    bic: str
    account: str
    reference: str
    reference_shown: str
    amount_minor: int
    currency: str
    epc: str


def card_checkout_origin(org: Organization) -> str | None:
    """Where the payer's browser goes to pay by card, or None when card payment is off."""
    account = ProviderAccount.objects.for_org(org).filter(enabled=True).first()
    return for_account(account).checkout_origin if account else None


def has_bank_details(org: Organization) -> bool:
    return bool(org.bank_iban or org.bank_account)


def bank_transfer(*, org: Organization, invoice: Invoice) -> BankTransfer:
    """The organization's bank details, the invoice's RF reference and, for euros, the EPC QR payload."""
    if invoice.org_id != org.pk:
        raise ValueError(f"invoice {invoice.pk} does not belong to {org.slug}")
    reference = rf.invoice_reference(invoice.number, invoice.pk)  # shown as rf.payment_reference gives it
    epc = ""
    if invoice.currency == "EUR" and org.bank_iban and invoice.open_minor > 0:
        try:
            epc = epc_payload(name=org.legal_name[:70], iban=org.bank_iban, bic=org.bank_bic,
                              amount=from_minor(invoice.open_minor, "EUR"), reference=reference,
                              info=f"Invoice {invoice.number}"[:70])
        except EpcError:
            epc = ""  # e.g. an IBAN the settings page let through: the details are still shown in text
    return BankTransfer(holder=org.legal_name, bank_name=org.bank_name, iban=org.bank_iban,
                        iban_shown=iban_numbers.format(org.bank_iban) if org.bank_iban else "", bic=org.bank_bic,
                        account=org.bank_account, reference=reference,
                        reference_shown=rf.payment_reference(invoice.number, invoice.pk),
                        amount_minor=invoice.open_minor, currency=invoice.currency, epc=epc)


def invoice_for_reference(*, org: Organization, reference: str) -> Invoice | None:
    """The organization's invoice an RF reference was made for (banking's matcher may use this), or None."""
    reference = rf.iso11649.compact(reference)
    if not rf.is_valid(reference):
        return None
    body = reference[4:]
    if body.startswith("I0"):
        try:
            return Invoice.objects.for_org(org).filter(pk=int(body[2:], 36)).first()
        except ValueError:
            return None
    found = [i for i in Invoice.objects.for_org(org).filter(number__iregex=r"^[\s\-./:_]*" + "".join(
        f"{c}[\\s\\-./:_]*" for c in body) + "$") if rf.invoice_reference_body(i.number, i.pk) == body]
    return found[0] if len(found) == 1 else None


def checkout_for(*, org: Organization, customer, session_id: str) -> CheckoutSession | None:
    return (CheckoutSession.objects.for_org(org).filter(customer=customer, provider_session_id=session_id)
            .first())
