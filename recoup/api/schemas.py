"""Request and response bodies. Amounts are decimal strings in the currency ("120.50"), never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from ninja import Schema
from pydantic import Field, create_model

from recoup.core.money import minor_to_text

ApiDate = date  # bounds are checked in ``inputs.check_date`` (pydantic has no date bounds in the schema)
Id = int


def money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else minor_to_text(minor, currency)


def _plain(value) -> str:
    """A stored Decimal without trailing zeros past the point ("1.5000" -> "1.5", "2.000" -> "2")."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: Optional[str] = None
    instance: Optional[str] = None
    errors: Optional[list[dict[str, Any]]] = None


def page_of(item: type[Schema]) -> type[Schema]:
    return create_model(f"{item.__name__.removesuffix('Out')}Page", __base__=Schema,
                        count=(int, ...), limit=(int, ...), offset=(int, ...), items=(list[item], ...))


# --- customers and contacts ----------------------------------------------------------------------

class CustomerOut(Schema):
    id: int
    ref: str
    kind: str
    legal_name: str
    display_name: str
    country: str
    region: str
    timezone: str
    language: str
    credit_limit: Optional[str]
    status: str
    notes: str
    created_at: datetime

    @staticmethod
    def resolve_credit_limit(obj) -> str | None:
        return money(obj.credit_limit_minor, obj.org.base_currency)


class CustomerPatch(Schema):
    ref: Optional[str] = Field(None, max_length=64)
    kind: Optional[str] = Field(None, max_length=10)
    legal_name: Optional[str] = Field(None, max_length=200)
    display_name: Optional[str] = Field(None, max_length=200)
    country: Optional[str] = Field(None, max_length=2)
    region: Optional[str] = Field(None, max_length=10)
    timezone: Optional[str] = Field(None, max_length=64)
    language: Optional[str] = Field(None, max_length=16)
    credit_limit: Optional[str] = Field(None, max_length=20, description="In the organization's currency")
    status: Optional[str] = Field(None, max_length=12)
    notes: Optional[str] = Field(None, max_length=5000)


class CustomerIn(CustomerPatch):
    ref: str = Field(..., max_length=64)
    legal_name: str = Field(..., max_length=200)


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    role: str
    email: str
    phone: str
    postal_address: str
    preferred_channel: str
    opt_out_email: bool
    opt_out_sms: bool
    opt_out_letter: bool
    opt_out_phone: bool
    is_billing: bool


class ContactPatch(Schema):
    name: Optional[str] = Field(None, max_length=200)
    role: Optional[str] = Field(None, max_length=100)
    email: Optional[str] = Field(None, max_length=254)
    phone: Optional[str] = Field(None, max_length=32)
    postal_address: Optional[str] = Field(None, max_length=1000)
    preferred_channel: Optional[str] = Field(None, max_length=8)
    opt_out_email: Optional[bool] = None
    opt_out_sms: Optional[bool] = None
    opt_out_letter: Optional[bool] = None
    opt_out_phone: Optional[bool] = None
    is_billing: Optional[bool] = None


class ContactIn(ContactPatch):
    name: str = Field(..., max_length=200)


# --- invoices, payments, credit notes ------------------------------------------------------------

class LineOut(Schema):
    position: int
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: str
    tax: str

    @staticmethod
    def resolve_quantity(obj) -> str:
        return _plain(obj.quantity)

    @staticmethod
    def resolve_unit_price(obj) -> str:
        return _plain(obj.unit_price)

    @staticmethod
    def resolve_tax_rate(obj) -> str:
        return _plain(obj.tax_rate)

    @staticmethod
    def resolve_net(obj) -> str:
        return money(obj.net_minor, obj.invoice.currency)

    @staticmethod
    def resolve_tax(obj) -> str:
        return money(obj.tax_minor, obj.invoice.currency)


class InvoiceOut(Schema):
    id: int
    number: str
    customer_id: int
    customer_ref: str
    issue_date: date
    due_date: date
    currency: str
    net: str
    tax: str
    total: str
    open: str
    status: str
    po_number: str
    description: str
    lines: list[LineOut]

    @staticmethod
    def resolve_customer_ref(obj) -> str:
        return obj.customer.ref

    @staticmethod
    def resolve_net(obj) -> str:
        return money(obj.net_minor, obj.currency)

    @staticmethod
    def resolve_tax(obj) -> str:
        return money(obj.tax_minor, obj.currency)

    @staticmethod
    def resolve_total(obj) -> str:
        return money(obj.total_minor, obj.currency)

    @staticmethod
    def resolve_open(obj) -> str:
        return money(obj.open_minor, obj.currency)

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())


class LineIn(Schema):
    description: str = Field(..., max_length=500)
    quantity: str = Field("1", max_length=20)
    unit_price: str = Field(..., max_length=24)
    tax_rate: str = Field("0", max_length=8, description="Percent, e.g. 20")


class InvoiceIn(Schema):
    customer_id: Optional[int] = None
    customer_ref: Optional[str] = Field(None, max_length=64, description="Instead of customer_id")
    number: str = Field(..., min_length=1, max_length=64)
    issue_date: ApiDate
    due_date: Optional[ApiDate] = Field(None, description="Default: from the payment terms")
    currency: Optional[str] = Field(None, max_length=3, description="Default: the organization's currency")
    lines: list[LineIn] = Field(..., min_length=1, max_length=500)
    po_number: str = Field("", max_length=64)
    description: str = Field("", max_length=500)


class InvoicePatch(Schema):
    issue_date: Optional[ApiDate] = None
    due_date: Optional[ApiDate] = None
    po_number: Optional[str] = Field(None, max_length=64)
    description: Optional[str] = Field(None, max_length=500)


class InvoiceVoid(Schema):
    reason: str = Field(..., min_length=1, max_length=400)
    credit_note_number: Optional[str] = Field(None, max_length=64, description="Default: NUMBER-VOID")
    date: Optional[ApiDate] = Field(None, description="Default: today in the organization's time zone")


class AllocationOut(Schema):
    invoice_id: int
    invoice_number: str
    date: date
    amount: str

    @staticmethod
    def resolve_invoice_number(obj) -> str:
        return obj.invoice.number

    @staticmethod
    def resolve_amount(obj) -> str:
        return money(obj.amount_minor, obj.invoice.currency)


class PaymentOut(Schema):
    id: int
    customer_id: int
    date: date
    amount: str
    currency: str
    method: str
    reference: str
    payer: str
    invoice_id: Optional[int]
    unapplied: str
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_amount(obj) -> str:
        return money(obj.amount_minor, obj.currency)

    @staticmethod
    def resolve_unapplied(obj) -> str:
        return money(obj.unapplied_minor, obj.currency)

    @staticmethod
    def resolve_invoice_id(obj) -> int | None:
        return obj.named_invoice_id

    @staticmethod
    def resolve_allocations(obj) -> list:
        return list(obj.allocations.all())


class PaymentIn(Schema):
    customer_id: Optional[int] = None
    customer_ref: Optional[str] = Field(None, max_length=64)
    date: ApiDate
    amount: str = Field(..., max_length=20)
    currency: Optional[str] = Field(None, max_length=3, description="Default: the organization's currency")
    method: str = Field("bank_transfer", max_length=16)
    reference: str = Field("", max_length=140)
    payer: str = Field("", max_length=200)
    invoice_id: Optional[int] = Field(None, description="The invoice the payer named")
    invoice_number: Optional[str] = Field(None, max_length=64, description="Instead of invoice_id")


class CreditNoteOut(Schema):
    id: int
    number: str
    customer_id: int
    date: date
    amount: str
    currency: str
    invoice_id: Optional[int]
    reason: str
    unapplied: str
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_amount(obj) -> str:
        return money(obj.amount_minor, obj.currency)

    @staticmethod
    def resolve_unapplied(obj) -> str:
        return money(obj.unapplied_minor, obj.currency)

    @staticmethod
    def resolve_invoice_id(obj) -> int | None:
        return obj.named_invoice_id

    @staticmethod
    def resolve_allocations(obj) -> list:
        return list(obj.allocations.all())


class CreditNoteIn(Schema):
    customer_id: Optional[int] = None
    customer_ref: Optional[str] = Field(None, max_length=64)
    number: str = Field(..., min_length=1, max_length=64)
    date: ApiDate
    amount: str = Field(..., max_length=20)
    currency: Optional[str] = Field(None, max_length=3)
    invoice_id: Optional[int] = None
    invoice_number: Optional[str] = Field(None, max_length=64)
    reason: str = Field("", max_length=500)


# --- reports -------------------------------------------------------------------------------------

class AgingRowOut(Schema):
    customer_id: int
    customer_ref: str
    customer: str
    currency: str
    invoice_number: Optional[str] = None
    due_date: Optional[date] = None
    buckets: dict[str, str]
    credit: str
    total: str


class AgingOut(Schema):
    as_of: date
    buckets: list[str]
    rows: list[AgingRowOut]
    totals: dict[str, dict[str, str]]


class StatementLineOut(Schema):
    date: date
    kind: str
    reference: str
    description: str
    debit: str
    credit: str
    balance: str


class StatementOpenOut(Schema):
    number: str
    issue_date: date
    due_date: date
    days_overdue: int
    open_amount: str


class StatementSectionOut(Schema):
    currency: str
    opening_balance: str
    closing_balance: str
    lines: list[StatementLineOut]
    open_invoices: list[StatementOpenOut]


class StatementOut(Schema):
    customer_ref: str
    customer: str
    as_of: date
    sections: list[StatementSectionOut]


# --- collections and arrangements ---------------------------------------------------------------

class PolicyOut(Schema):
    id: int
    name: str
    description: str
    is_default: bool
    default_for: str
    spec: dict[str, Any]
    updated_at: datetime


class PauseOut(Schema):
    id: int
    customer_id: int
    invoice_id: Optional[int]
    reason: str
    starts_on: date
    ends_on: Optional[date]
    created_by: str
    created_at: datetime
    lifted_at: Optional[datetime]


class PauseIn(Schema):
    customer_id: int
    invoice_id: Optional[int] = None
    reason: str = Field(..., min_length=1, max_length=500)
    starts_on: ApiDate
    ends_on: Optional[ApiDate] = None


def _invoice_ids(obj) -> list[int]:
    return sorted(i.pk for i in obj.invoices.all())


class PromiseOut(Schema):
    id: int
    customer_id: int
    invoice_ids: list[int]
    currency: str
    amount: str
    pay_by: date
    made_on: date
    status: str
    source: str
    created_at: datetime
    ended_on: Optional[date]

    @staticmethod
    def resolve_invoice_ids(obj) -> list[int]:
        return _invoice_ids(obj)

    @staticmethod
    def resolve_amount(obj) -> str:
        return money(obj.amount_minor, obj.currency)


class PromiseIn(Schema):
    customer_id: int
    invoice_ids: list[int] = Field(..., min_length=1, max_length=100)
    pay_by: ApiDate
    amount: Optional[str] = Field(None, max_length=20, description="Default: the invoices' open balance")


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class InstalmentOut(Schema):
    number: int
    due_date: date
    amount: str
    status: str

    @staticmethod
    def resolve_amount(obj) -> str:
        return money(obj.amount_minor, obj.plan.currency)


class PlanOut(Schema):
    id: int
    customer_id: int
    invoice_ids: list[int]
    currency: str
    total: str
    down_payment: str
    instalment_count: int
    frequency: str
    first_date: date
    status: str
    source: str
    created_at: datetime
    ended_on: Optional[date]
    instalments: list[InstalmentOut]

    @staticmethod
    def resolve_invoice_ids(obj) -> list[int]:
        return _invoice_ids(obj)

    @staticmethod
    def resolve_total(obj) -> str:
        return money(obj.total_minor, obj.currency)

    @staticmethod
    def resolve_down_payment(obj) -> str:
        return money(obj.down_payment_minor, obj.currency)

    @staticmethod
    def resolve_instalments(obj) -> list:
        return list(obj.instalments.all())


class PlanIn(Schema):
    customer_id: int
    invoice_ids: list[int] = Field(..., min_length=1, max_length=100)
    instalments: int = Field(..., ge=1, le=120)
    frequency: str = Field(..., max_length=12, description="weekly, fortnightly or monthly")
    first_date: ApiDate
    down_payment: str = Field("0", max_length=20)
    note: str = Field("", max_length=2000)


class DisputeOut(Schema):
    id: int
    customer_id: int
    invoice_ids: list[int]
    category: str
    currency: str
    amount: Optional[str]
    message: str
    status: str
    source: str
    opened_on: date
    resolution: str
    closed_on: Optional[date]

    @staticmethod
    def resolve_invoice_ids(obj) -> list[int]:
        return _invoice_ids(obj)

    @staticmethod
    def resolve_amount(obj) -> str | None:
        return money(obj.amount_minor, obj.currency)


class DisputeIn(Schema):
    customer_id: int
    invoice_ids: list[int] = Field(..., min_length=1, max_length=100)
    category: str = Field(..., max_length=16)
    amount: Optional[str] = Field(None, max_length=20, description="Disputed amount; none: all of it")
    message: str = Field(..., min_length=1, max_length=5000)


class ResolutionIn(Schema):
    resolution: str = Field(..., min_length=1, max_length=2000)


# --- messages and the timeline ------------------------------------------------------------------

class MessageOut(Schema):
    id: int
    customer_id: int
    contact_id: Optional[int]
    channel: str
    direction: str
    status: str
    to_address: str
    subject: str
    body_text: str
    attempts: int
    last_error: str
    source: str
    created_at: datetime
    sent_at: Optional[datetime]


class TimelineEventOut(Schema):
    id: int
    at: datetime
    verb: str
    actor: str
    subject_type: str
    subject_id: Optional[int]
    customer_id: Optional[int]
    summary: str
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor_label


# --- webhooks ------------------------------------------------------------------------------------

class WebhookEndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: datetime
    secret: str


class WebhookEndpointIn(Schema):
    url: str = Field(..., max_length=500)
    event_types: list[str] = Field(default_factory=list, max_length=20, description="Empty: every event")
    description: str = Field("", max_length=200)


class WebhookEndpointPatch(Schema):
    url: Optional[str] = Field(None, max_length=500)
    event_types: Optional[list[str]] = Field(None, max_length=20)
    description: Optional[str] = Field(None, max_length=200)
    active: Optional[bool] = None


class WebhookDeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: Optional[int]
    last_error: str
    created_at: datetime
    next_attempt_at: Optional[datetime]
    delivered_at: Optional[datetime]
    resend_of_id: Optional[int]
    payload: dict[str, Any]


CustomerPage = page_of(CustomerOut)
ContactPage = page_of(ContactOut)
InvoicePage = page_of(InvoiceOut)
PaymentPage = page_of(PaymentOut)
CreditNotePage = page_of(CreditNoteOut)
PolicyPage = page_of(PolicyOut)
PausePage = page_of(PauseOut)
PromisePage = page_of(PromiseOut)
PlanPage = page_of(PlanOut)
DisputePage = page_of(DisputeOut)
MessagePage = page_of(MessageOut)
TimelinePage = page_of(TimelineEventOut)
WebhookEndpointPage = page_of(WebhookEndpointOut)
WebhookDeliveryPage = page_of(WebhookDeliveryOut)
