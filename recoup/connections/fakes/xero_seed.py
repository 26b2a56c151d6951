"""Data for the Xero fake, drawn from the examples in Xero's own API description.

- ``default_accounts()``: the chart of accounts shown in the description's ``GET /Accounts``
  example (a BANK account ``091`` that takes payments, sales ``200``).
- ``example_pools()``: the contact names and e-mail addresses, and the sales line items,
  that appear in the description's examples.
- ``seed_examples(books, now)``: those contacts and one invoice per example line, through
  the same rules the API applies.
- ``seed_bulk(books, contacts=2000, invoices=10000, now=..., seed=1)``: a believable
  ledger at benchmark size in a few seconds: a year of ACCREC invoices (most open, some
  paid in full or in part, a few voided, drafts), a share of ACCPAY bills Recoup must
  ignore, and credit notes. Deterministic for a given ``seed``. Returns a summary.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from recoup.connections.fakes import spec
from recoup.connections.fakes.xero_books import Books


def _example(path: str) -> dict:
    responses = spec.xero_accounting().document["paths"][path]["get"]["responses"]
    return responses["200"]["content"]["application/json"]["example"]


def default_accounts() -> list[dict]:
    return copy.deepcopy(_example("/Accounts")["Accounts"])


@lru_cache(maxsize=1)
def example_pools() -> tuple[list[tuple[str, str]], list[tuple[str, Decimal]]]:
    """(contact (name, e-mail) pairs, sales (description, unit amount) pairs) from the examples."""
    contacts: dict[str, str] = {}
    lines: dict[str, Decimal] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "ContactID" in node and node.get("Name") and node.get("EmailAddress"):
                contacts.setdefault(str(node["Name"]), str(node["EmailAddress"]))
            if node.get("AccountCode") == "200" and "UnitAmount" in node and node.get("Description"):
                lines.setdefault(str(node["Description"]), Decimal(str(node["UnitAmount"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec.xero_accounting().document["paths"])
    return sorted(contacts.items()), sorted(lines.items())


def seed_examples(books: Books, now: datetime) -> list[dict]:
    """The description's example contacts, each with one AUTHORISED invoice per example line."""
    people, lines = example_pools()
    invoices = []
    for i, (name, email) in enumerate(people):
        contact = books.put_contact({"Name": name, "EmailAddress": email}, now)
        description, amount = lines[i % len(lines)]
        invoices.append(books.put_invoice({
            "Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Status": "AUTHORISED",
            "Date": (now - timedelta(days=40)).date().isoformat(), "DueDate": (now - timedelta(days=10)).date().isoformat(),
            "LineItems": [{"Description": description, "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}],
        }, now))
    return invoices


def seed_bulk(books: Books, *, contacts: int = 2000, invoices: int = 10000, now: datetime, seed: int = 1,
              bills: int = 0, credit_notes: int = 0) -> dict:
    """A benchmark-sized ledger written through the books' rules (not over HTTP: seconds, not minutes)."""
    rng = random.Random(seed)
    people, lines = example_pools()
    made = []
    for n in range(contacts):
        name, email = people[n % len(people)]
        user, domain = email.split("@", 1)
        made.append(books.put_contact({"Name": f"{name} {n + 1:05d}", "EmailAddress": f"{user}+{n + 1}@{domain}"},
                                      now - timedelta(days=400)))
    counts = {"contacts": contacts, "invoices": invoices, "paid": 0, "part_paid": 0, "voided": 0, "draft": 0,
              "bills": bills, "credit_notes": credit_notes}
    for n in range(invoices + bills):
        issued = now - timedelta(days=rng.randint(1, 365))
        description, unit = lines[rng.randrange(len(lines))]
        quantity = rng.randint(1, 5)
        kind = "ACCREC" if n < invoices else "ACCPAY"
        roll = rng.random()
        status = "DRAFT" if roll < 0.03 else "AUTHORISED"
        invoice = books.put_invoice({
            "Type": kind, "Contact": {"ContactID": made[rng.randrange(len(made))]["ContactID"]}, "Status": status,
            "Date": issued.date().isoformat(), "DueDate": (issued + timedelta(days=30)).date().isoformat(),
            "LineItems": [{"Description": description, "Quantity": quantity, "UnitAmount": unit, "AccountCode": "200",
                           "TaxAmount": (unit * quantity * Decimal("0.15")).quantize(Decimal("0.01"))}],
        }, issued)
        if kind != "ACCREC":
            continue
        if status == "DRAFT":
            counts["draft"] += 1
        elif roll < 0.05:
            books.put_invoice({"InvoiceID": invoice["InvoiceID"], "Status": "VOIDED"}, issued + timedelta(days=2))
            counts["voided"] += 1
        elif roll < 0.45:
            paid_at = min(issued + timedelta(days=rng.randint(5, 60)), now)
            part = roll < 0.10
            amount = (invoice["AmountDue"] / 2).quantize(Decimal("0.01")) if part else invoice["AmountDue"]
            books.put_payment({"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "091"},
                               "Date": paid_at.date().isoformat(), "Amount": amount}, paid_at)
            counts["part_paid" if part else "paid"] += 1
    open_invoices = [i for i in books.invoices.values() if i["Type"] == "ACCREC" and i["Status"] == "AUTHORISED"]
    for n in range(min(credit_notes, len(open_invoices))):
        target = open_invoices[n]
        note = books.put_credit_note({
            "Type": "ACCRECCREDIT", "Contact": {"ContactID": target["Contact"]["ContactID"]}, "Status": "AUTHORISED",
            "Date": now.date().isoformat(),
            "LineItems": [{"Description": "Credit", "Quantity": 1, "UnitAmount": min(target["AmountDue"], Decimal(10)),
                           "AccountCode": "200"}]}, now)
        books.allocate(note, "credit note", {"Invoice": {"InvoiceID": target["InvoiceID"]},
                                             "Amount": note["Total"], "Date": now.date().isoformat()}, now)
    books.events.clear()  # history from before the app was connected: no webhooks for it
    return counts
