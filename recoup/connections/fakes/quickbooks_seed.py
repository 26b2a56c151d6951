"""Data for the QuickBooks fake.

The QuickBooks description in shared/specs carries no examples, so the names, e-mail
addresses and sales lines come from the examples in Xero's published description (see
xero_seed.example_pools): believable small-business data either way.

- ``seed_bulk(company, customers=2000, invoices=10000, now=..., seed=1)``: a year of
  invoices (most open, some paid in full or in part by linked payments, a few voided)
  written through the company's own rules in a few seconds; deterministic per ``seed``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from recoup.connections.fakes.quickbooks_books import Company
from recoup.connections.fakes.xero_seed import example_pools


def seed_bulk(company: Company, *, customers: int = 2000, invoices: int = 10000, now: datetime,
              seed: int = 1) -> dict:
    rng = random.Random(seed)
    people, lines = example_pools()
    made = []
    for n in range(customers):
        name, email = people[n % len(people)]
        user, domain = email.split("@", 1)
        made.append(company.save_customer({"DisplayName": f"{name} {n + 1:05d}",
                                           "PrimaryEmailAddr": {"Address": f"{user}+{n + 1}@{domain}"}},
                                          now - timedelta(days=400)))
    counts = {"customers": customers, "invoices": invoices, "paid": 0, "part_paid": 0, "voided": 0}
    for _ in range(invoices):
        issued = now - timedelta(days=rng.randint(1, 365))
        description, unit = lines[rng.randrange(len(lines))]
        customer = made[rng.randrange(len(made))]
        invoice = company.save_invoice({
            "CustomerRef": {"value": customer["Id"]}, "TxnDate": issued.date().isoformat(),
            "DueDate": (issued + timedelta(days=30)).date().isoformat(),
            "Line": [{"Amount": unit * rng.randint(1, 5), "Description": description,
                      "DetailType": "SalesItemLineDetail"}]}, issued)
        roll = rng.random()
        if roll < 0.02:
            company.void_invoice({"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, issued + timedelta(days=2))
            counts["voided"] += 1
        elif roll < 0.42:
            paid_at = min(issued + timedelta(days=rng.randint(5, 60)), now)
            part = roll < 0.07
            amount = (invoice["Balance"] / 2).quantize(Decimal("0.01")) if part else invoice["Balance"]
            company.save_payment({"CustomerRef": {"value": customer["Id"]}, "TotalAmt": amount,
                                  "TxnDate": paid_at.date().isoformat(),
                                  "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"],
                                                                             "TxnType": "Invoice"}]}]}, paid_at)
            counts["part_paid" if part else "paid"] += 1
    company.changes.clear()  # history from before the app was connected: no webhooks for it
    return counts
