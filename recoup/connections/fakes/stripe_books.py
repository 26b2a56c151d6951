"""One Stripe account inside the Billing fake: customers, invoices, credit notes, events.

Every object starts as a fresh copy of Stripe's own sample (fixtures3.json, through
``spec.stripe_shapes().sample(kind)``) with its placeholder values cleared, so it has
exactly Stripe's fields. Amounts are integers in the currency's smallest unit. Every
change appends an ``Event`` (newest last) stamped with the ``now`` it is given.

Rules (Stripe's API reference for invoices and credit notes): invoice items go on a
draft; ``finalize`` opens it and gives it a number; ``pay`` with ``paid_out_of_band``
marks an open invoice paid; ``void`` and ``mark_uncollectible`` apply to open invoices;
only a draft can be deleted; a credit note on an open invoice lowers what is due, on a
paid one it is credited after payment. ``StripeError`` carries Stripe's error type,
message and parameter.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from recoup.connections.fakes.spec import stripe_shapes

PLACEHOLDERS = {  # sample fields whose values illustrate a case, cleared on a new object
    "invoice": {"account_tax_ids": None, "automatic_tax": None, "custom_fields": None, "customer_shipping": None,
                "from_invoice": None, "last_finalization_error": None, "latest_revision": None, "parent": None,
                "shipping_cost": None, "shipping_details": None, "subscription": None, "test_clock": None,
                "rendering": None, "issuer": {"type": "self"}, "total_taxes": [], "discounts": [],
                "total_discount_amounts": [], "total_pretax_credit_amounts": [], "customer_tax_ids": [],
                "default_tax_rates": [], "payment_settings": None, "customer_account": None,
                "next_payment_attempt": None, "automatically_finalizes_at": None, "on_behalf_of": None,
                "account_name": None, "receipt_number": None, "statement_descriptor": None, "footer": None,
                "customer_address": None, "customer_phone": None, "amount_overpaid": 0},
    "customer": {"discount": None, "address": None, "shipping": None, "test_clock": None},
    "credit_note": {"shipping_cost": None, "refunds": [], "pretax_credit_amounts": [], "total_taxes": [],
                    "discount_amounts": [], "customer_account": None, "customer_balance_transaction": None,
                    "total_excluding_tax": None},
    "line_item": {"discount_amounts": [], "discounts": [], "pretax_credit_amounts": [], "taxes": [],
                  "subscription": None, "quantity_decimal": None},
}


class StripeError(Exception):
    def __init__(self, message: str, *, param: str = "", kind: str = "invalid_request_error", status: int = 400,
                 code: str = ""):
        super().__init__(message)
        self.param, self.kind, self.status, self.code = param, kind, status, code

    def body(self) -> dict:
        error = {"type": self.kind, "message": str(self)}
        if self.param:
            error["param"] = self.param
        if self.code:
            error["code"] = self.code
        return {"error": error}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18).replace('-', 'a').replace('_', 'b')[:24]}"


def fresh(kind: str, **values) -> dict:
    obj = stripe_shapes().sample(kind)
    obj.update(PLACEHOLDERS.get(kind, {}))
    obj["livemode"] = False
    if "metadata" in obj:
        obj["metadata"] = {}
    obj.update(values)
    return obj


def _int(value: object, param: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise StripeError(f"Invalid integer: {value}", param=param) from None


@dataclass
class Account:
    account_id: str
    name: str
    currency: str = "usd"
    customers: dict[str, dict] = field(default_factory=dict)
    invoices: dict[str, dict] = field(default_factory=dict)
    credit_notes: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    undelivered: list[dict] = field(default_factory=list)
    recording: bool = True  # False while seeding history: no events
    _numbers: int = 0

    def event(self, kind: str, obj: dict, now: datetime, request: dict | None = None) -> dict | None:
        if not self.recording:
            return None
        event = fresh("event", id=new_id("evt"), type=kind, created=int(now.timestamp()), api_version="2024-06-20",
                      data={"object": _copy(obj)}, pending_webhooks=1,
                      request=request or {"id": None, "idempotency_key": None})
        self.events.append(event)
        self.undelivered.append(event)
        return event

    def get(self, store: dict, object_id: str, what: str) -> dict:
        if object_id not in store:
            raise StripeError(f"No such {what}: '{object_id}'", param="id", status=404, code="resource_missing")
        return store[object_id]

    # -- customers ----------------------------------------------------------------------------

    def create_customer(self, params: dict, now: datetime) -> dict:
        customer = fresh("customer", id=new_id("cus"), created=int(now.timestamp()), name=params.get("name"),
                         email=params.get("email"), phone=params.get("phone"), description=params.get("description"),
                         currency=None, balance=0, invoice_prefix=secrets.token_hex(4).upper(),
                         next_invoice_sequence=1, metadata=dict(params.get("metadata") or {}))
        self.customers[customer["id"]] = customer
        self.event("customer.created", customer, now)
        return customer

    # -- invoices -----------------------------------------------------------------------------

    def create_invoice(self, params: dict, now: datetime) -> dict:
        customer = self.get(self.customers, str(params.get("customer", "")), "customer")
        method = params.get("collection_method", "send_invoice")
        due = params.get("due_date") or (int(now.timestamp()) + 86400 * _int(params.get("days_until_due", 30),
                                                                           "days_until_due"))
        stamp = int(now.timestamp())
        invoice = fresh("invoice", id=new_id("in"), customer=customer["id"], customer_email=customer["email"],
                        customer_name=customer["name"], currency=params.get("currency", self.currency),
                        created=stamp, period_start=stamp, period_end=stamp, effective_at=None,
                        collection_method=method, due_date=_int(due, "due_date") if method == "send_invoice" else None,
                        status="draft", number=None, description=params.get("description"),
                        metadata=dict(params.get("metadata") or {}), auto_advance=False, attempted=False,
                        attempt_count=0, billing_reason="manual", amount_due=0, amount_paid=0, amount_remaining=0,
                        subtotal=0, subtotal_excluding_tax=0, total=0, total_excluding_tax=0, starting_balance=0,
                        ending_balance=None, post_payment_credit_notes_amount=0, pre_payment_credit_notes_amount=0,
                        hosted_invoice_url=None, invoice_pdf=None, webhooks_delivered_at=None,
                        account_country="US", default_payment_method=None, default_source=None,
                        customer_tax_exempt="none",
                        status_transitions={"finalized_at": None, "marked_uncollectible_at": None,
                                            "paid_at": None, "voided_at": None},
                        lines={"object": "list", "data": [], "has_more": False, "url": ""})
        invoice["lines"]["url"] = f"/v1/invoices/{invoice['id']}/lines"
        self.invoices[invoice["id"]] = invoice
        self.event("invoice.created", invoice, now)
        return invoice

    def add_item(self, params: dict, now: datetime) -> dict:
        invoice = self.get(self.invoices, str(params.get("invoice", "")), "invoice")
        if invoice["status"] != "draft":
            raise StripeError("Invoice items can only be added to draft invoices", param="invoice")
        amount = _int(params.get("amount", 0), "amount")
        if amount <= 0:
            raise StripeError("Amount must be a positive integer", param="amount")
        item_id = new_id("ii")
        line = fresh("line_item", id=new_id("il"), amount=amount, subtotal=amount, currency=invoice["currency"],
                     description=params.get("description"), invoice=invoice["id"], quantity=1,
                     period={"start": invoice["created"], "end": invoice["created"]},
                     pricing={"type": "price_details", "unit_amount_decimal": str(amount)},
                     parent={"type": "invoice_item_details", "subscription_item_details": None,
                             "invoice_item_details": {"invoice_item": item_id, "proration": False,
                                                      "proration_details": {"credited_items": None},
                                                      "subscription": None}})
        invoice["lines"]["data"].append(line)
        self._total(invoice)
        self.event("invoice.updated", invoice, now)
        return {"id": item_id, "object": "invoiceitem", "amount": amount, "invoice": invoice["id"]}

    def _total(self, invoice: dict) -> None:
        total = sum(line["amount"] for line in invoice["lines"]["data"])
        invoice.update(subtotal=total, subtotal_excluding_tax=total, total=total, total_excluding_tax=total)
        credited = invoice["pre_payment_credit_notes_amount"]
        invoice["amount_due"] = total - credited
        invoice["amount_remaining"] = invoice["amount_due"] - invoice["amount_paid"]

    def _open_only(self, invoice: dict, action: str) -> None:
        if invoice["status"] != "open":
            raise StripeError(f"You can only {action} an open invoice; this one is {invoice['status']}.",
                              param="invoice")

    def finalize(self, invoice_id: str, now: datetime) -> dict:
        invoice = self.get(self.invoices, invoice_id, "invoice")
        if invoice["status"] != "draft":
            raise StripeError("This invoice is already finalized", param="invoice")
        self._numbers += 1
        stamp = int(now.timestamp())
        invoice.update(status="open", number=f"{self.account_id[-8:].upper()}-{self._numbers:04d}",
                       effective_at=stamp, hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice['id']}",
                       invoice_pdf=f"https://pay.stripe.com/invoice/{invoice['id']}/pdf")
        invoice["status_transitions"]["finalized_at"] = stamp
        self.event("invoice.finalized", invoice, now)
        if invoice["amount_remaining"] == 0:
            self._paid(invoice, now)
        return invoice

    def _paid(self, invoice: dict, now: datetime) -> None:
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
        invoice["status_transitions"]["paid_at"] = int(now.timestamp())
        self.event("invoice.paid", invoice, now)

    def pay(self, invoice_id: str, params: dict, now: datetime) -> dict:
        invoice = self.get(self.invoices, invoice_id, "invoice")
        self._open_only(invoice, "pay")
        if str(params.get("paid_out_of_band", "false")).lower() != "true":
            raise StripeError("This customer has no attached payment source or default payment method (the "
                              "fake pays invoices out of band only: paid_out_of_band=true).",
                              param="paid_out_of_band")
        self._paid(invoice, now)
        return invoice

    def void(self, invoice_id: str, now: datetime) -> dict:
        invoice = self.get(self.invoices, invoice_id, "invoice")
        self._open_only(invoice, "void")
        invoice["status"] = "void"
        invoice["status_transitions"]["voided_at"] = int(now.timestamp())
        self.event("invoice.voided", invoice, now)
        return invoice

    def mark_uncollectible(self, invoice_id: str, now: datetime) -> dict:
        invoice = self.get(self.invoices, invoice_id, "invoice")
        self._open_only(invoice, "mark uncollectible")
        invoice["status"] = "uncollectible"
        invoice["status_transitions"]["marked_uncollectible_at"] = int(now.timestamp())
        self.event("invoice.marked_uncollectible", invoice, now)
        return invoice

    def delete(self, invoice_id: str, now: datetime) -> dict:
        invoice = self.get(self.invoices, invoice_id, "invoice")
        if invoice["status"] != "draft":
            raise StripeError("You can only delete draft invoices.", param="invoice")
        del self.invoices[invoice_id]
        self.event("invoice.deleted", invoice, now)
        return {"id": invoice_id, "object": "invoice", "deleted": True}

    # -- credit notes -------------------------------------------------------------------------

    def create_credit_note(self, params: dict, now: datetime) -> dict:
        invoice = self.get(self.invoices, str(params.get("invoice", "")), "invoice")
        if invoice["status"] not in ("open", "paid"):
            raise StripeError("Credit notes can only be issued for open or paid invoices", param="invoice")
        amount = _int(params.get("amount", 0), "amount")
        room = invoice["amount_remaining"] if invoice["status"] == "open" else invoice["amount_paid"] - \
            invoice["post_payment_credit_notes_amount"]
        if amount <= 0 or amount > room:
            raise StripeError(f"The credit note amount must be between 1 and {room}", param="amount")
        kind = "pre_payment" if invoice["status"] == "open" else "post_payment"
        note = fresh("credit_note", id=new_id("cn"), invoice=invoice["id"], customer=invoice["customer"],
                     currency=invoice["currency"], created=int(now.timestamp()), effective_at=int(now.timestamp()),
                     amount=amount, subtotal=amount, subtotal_excluding_tax=amount, total=amount,
                     discount_amount=0, amount_shipping=0, status="issued", type=kind, voided_at=None,
                     memo=params.get("memo"), reason=params.get("reason"), out_of_band_amount=None,
                     pre_payment_amount=amount if kind == "pre_payment" else 0,
                     post_payment_amount=amount if kind == "post_payment" else 0,
                     number=f"{invoice['number']}-CN-{len(self.credit_notes) + 1:02d}",
                     pdf=f"https://pay.stripe.com/credit_notes/{invoice['id']}/pdf",
                     lines={"object": "list", "data": [], "has_more": False, "url": ""})
        note["lines"]["url"] = f"/v1/credit_notes/{note['id']}/lines"
        self.credit_notes[note["id"]] = note
        if kind == "pre_payment":
            invoice["pre_payment_credit_notes_amount"] += amount
            self._total(invoice)
            if invoice["amount_remaining"] == 0:
                self._paid(invoice, now)
        else:
            invoice["post_payment_credit_notes_amount"] += amount
        self.event("credit_note.created", note, now)
        self.event("invoice.updated", invoice, now)
        return note


def _copy(obj: dict) -> dict:
    import copy

    return copy.deepcopy(obj)
