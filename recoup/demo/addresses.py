"""Postal addresses for the demo's billing contacts: seeded, believable, in each country's layout.

Pure. Letters (final notices, letters before action) need an address on the billing contact;
without one the cycle blocks the letter and asks for a contact point. The towns are real
places around the demo business in Stroud, the streets and numbers are made up, and nothing
is ever posted: the demo's letters only reach the print batch.
"""

from __future__ import annotations

import random
from dataclasses import replace

from recoup.demo.profiles import CustomerPlan

_STREETS = ["Mill Lane", "Station Road", "Church Street", "London Road", "Bath Road", "Park Avenue", "Westward Road",
            "Rowcroft", "Slad Road", "Cainscross Road", "Bisley Road", "Lansdown", "Gloucester Street",
            "Frome Gardens", "Kings Road", "Orchard Close", "Quarry Lane", "Tetbury Street"]
_BUSINESS_PREFIX = ["Unit 2", "Unit 7", "Unit 12", "Suite 3", "First Floor", "The Old Forge", "Riverside House",
                    "Brunel House", "Unit 5, Lodge Farm"]
# (town, postcode district)
_TOWNS_GB = [("Stroud", "GL5"), ("Gloucester", "GL1"), ("Cheltenham", "GL50"), ("Cirencester", "GL7"),
             ("Tewkesbury", "GL20"), ("Nailsworth", "GL6"), ("Dursley", "GL11"), ("Bristol", "BS1"), ("Bath", "BA1"),
             ("Swindon", "SN1"), ("Malmesbury", "SN16"), ("Oxford", "OX1")]
_ABROAD = {
    "IE": ["{n} Ormond Quay Upper\nDublin 7\nD07 F2K8\nIreland", "Unit {n}, Swords Business Park\nSwords\nK67 E2A4\n"
           "Ireland"],
    "US": ["{n} West 57th Street, Suite 1200\nNew York NY 10107\nUnited States",
           "{n} North Michigan Avenue, Floor 9\nChicago IL 60611\nUnited States"],
    "FR": ["{n} rue des Ébénistes\n75011 Paris\nFrance", "{n} quai Saint-Antoine\n69002 Lyon\nFrance"],
    "NL": ["Keizersgracht {n}\n1016 DZ Amsterdam\nNetherlands", "Oudegracht {n}\n3511 AX Utrecht\nNetherlands"],
}


def _gb(rng: random.Random, business: bool) -> str:
    town, district = rng.choice(_TOWNS_GB)
    postcode = f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    street = f"{rng.randint(1, 120)} {rng.choice(_STREETS)}"
    lines = [rng.choice(_BUSINESS_PREFIX), street] if business else [street]
    return "\n".join([*lines, town, postcode])


def postal_address(*, seed: int, customer: CustomerPlan) -> str:
    """The customer's address: same seed and reference, same address."""
    rng = random.Random(f"{seed}:address:{customer.ref}")
    layouts = _ABROAD.get(customer.country)
    if layouts:
        return rng.choice(layouts).format(n=rng.randint(2, 240))
    return _gb(rng, customer.kind == "business")


def with_addresses(*, seed: int, customers: list[CustomerPlan]) -> list[CustomerPlan]:
    """The customers with an address on each billing contact (the letters' contact point)."""
    out = []
    for c in customers:
        address = postal_address(seed=seed, customer=c)
        contacts = tuple(replace(p, postal_address=address) if p.is_billing else p for p in c.contacts)
        out.append(replace(c, contacts=contacts))
    return out
