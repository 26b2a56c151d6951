"""Whose law applies to a customer: for contact rules, and for the debt itself.

These read only the countries and regions stored on the customer and the organization, so the
ledger (the order a payment settles charges in) and the compliance and collections apps above it
share one answer. ``recoup.core.rules.jurisdiction_for`` turns a country and region into a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recoup.core.rules import jurisdiction_for

if TYPE_CHECKING:
    from recoup.ledger.models import Customer
    from recoup.orgs.models import Organization


def org_jurisdiction(org: Organization) -> str | None:
    return jurisdiction_for(org.country, org.region)


def customer_jurisdiction(customer: Customer, org: Organization | None = None) -> str | None:
    """The customer's country (and US state) if known, else the organization's."""
    if customer.country:
        return jurisdiction_for(customer.country, customer.region)
    org = org or customer.org
    return jurisdiction_for(org.country, org.region)


def contract_jurisdiction(customer: Customer, org: Organization | None = None) -> str | None:
    """Whose law governs the debt itself (interest, limitation), absent a choice in the contract.

    A consumer's contract follows the law of the consumer's country (Rome I art. 6); a business
    contract the seller's, i.e. the organization's (Rome I art. 4(1)(a)-(b)). Either falls back
    to the other when unknown. Contact rules follow ``customer_jurisdiction`` instead.
    """
    org = org or customer.org
    mine = jurisdiction_for(org.country, org.region)
    theirs = jurisdiction_for(customer.country, customer.region) if customer.country else None
    if customer.kind == "consumer":
        return theirs or mine
    return mine or theirs
