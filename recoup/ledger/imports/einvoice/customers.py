"""Finding the buyer among the organization's customers, or creating it.

Matched, in this order and only within the organization: a customer whose ``ref``
is the buyer's VAT ID or one of its identifiers (as typed or without spaces and
punctuation); one whose notes carry that ID (customers created here note them);
one whose legal or display name is the buyer's name, ignoring case.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q

from recoup.audit.actions import Actor
from recoup.ledger.customer_actions import contact_save, customer_create
from recoup.ledger.imports.einvoice.document import Document, EInvoiceError, Party
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization

VIA = "e-invoice import"


def compact(identifier: str) -> str:
    """An identifier without spaces or punctuation, upper case: 'FR 05 987' -> 'FR05987'."""
    return re.sub(r"[^0-9A-Za-z]", "", identifier).upper()


def _keys(party: Party) -> list[tuple[str, str]]:
    keys = [("VAT ID", party.vat_id)] if party.vat_id else []
    return keys + [("Buyer ID", i) for i in party.ids]


def find(org: Organization, doc: Document) -> Customer | None:
    """The organization's customer the document's buyer is, or None."""
    party = doc.buyer
    customers = Customer.objects.for_org(org)
    for _, key in _keys(party):
        variants = {key, compact(key)} - {""}
        found = customers.filter(ref__in=variants).first()
        if found:
            return found
    for label, key in _keys(party):
        found = customers.filter(notes__icontains=f"{label}: {compact(key)}\n").first()
        if found:
            return found
    names = [n for n in (party.legal_name, party.trading_name) if n]
    query = Q()
    for name in names:
        query |= Q(legal_name__iexact=name) | Q(display_name__iexact=name)
    matches = list(customers.filter(query)[:2])
    if len(matches) > 1:
        raise EInvoiceError(doc.file, doc.places.get("buyer", "buyer"), "buyer name (BT-44)",
                            f"several customers are named {party.legal_name!r} ({matches[0].ref}, {matches[1].ref}) "
                            "and the buyer has no VAT ID or identifier that tells them apart")
    return matches[0] if matches else None


def _free_ref(org: Organization, wanted: str) -> str:
    ref, n = wanted[:64], 2
    while Customer.objects.for_org(org).filter(ref=ref).exists():
        ref, n = f"{wanted[:60]}-{n}", n + 1
    return ref


def create(org: Organization, doc: Document, *, actor: Actor, now: datetime) -> tuple[Customer, list[str]]:
    """A new customer from the buyer party, with a billing contact when the party has an address or e-mail."""
    party, notes = doc.buyer, []
    key = next((compact(k) for _, k in _keys(party) if compact(k)), "")
    ref = _free_ref(org, key or "EI-" + (compact(party.legal_name)[:40] or doc.number))
    country = party.country if re.fullmatch(r"[A-Z]{2}", party.country) else ""
    id_notes = "".join(f"{label}: {compact(k)}\n" for label, k in _keys(party) if compact(k))
    customer = customer_create(
        org=org, ref=ref, legal_name=party.legal_name[:200], display_name=party.trading_name[:200],
        country=country, notes=f"Created from the e-invoice {doc.file}.\n{id_notes}", actor=actor, now=now, via=VIA,
    )
    email = party.email
    if email:
        try:
            validate_email(email)
        except ValidationError:
            notes.append(f"the buyer's e-mail {email!r} is not an address; left out of the contact")
            email = ""
    if email or party.address or party.phone:
        contact_save(org=org, customer=customer, name=(party.contact_name or party.legal_name)[:200], email=email,
                     phone=party.phone[:32], postal_address=party.address, is_billing=True, actor=actor, now=now,
                     via=VIA)
    return customer, notes
