"""Use cases that create and change an organization's payment terms.

The rules live in ``recoup.core.terms.Terms``: an action builds the terms it
would store, lets that dataclass refuse them, checks the name is free in the
organization (case-insensitively, as imports look terms up) and the numbers fit
their columns, then writes and records an audit event with before and after.
Invoices keep the snapshot of the terms they were issued under
(``Invoice.agreed_terms``), so changing terms never changes an existing invoice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import D
from recoup.core.terms import Terms
from recoup.ledger.actions import LedgerError
from recoup.ledger.models import PaymentTerms
from recoup.orgs.models import Organization

TERMS_FIELDS = (
    "name", "net_days", "end_of_month", "discount_percent", "discount_days", "late_fee_kind",
    "late_fee_flat", "late_fee_percent", "grace_days",
)


class TermsInputError(LedgerError):
    """Refused terms, naming the field it is about (``field``) for forms."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


def _field_of(message: str) -> str | None:
    # Terms' messages start with the field they are about ("net_days must be ...").
    return next((f for f in sorted(TERMS_FIELDS, key=len, reverse=True) if message.startswith(f)), None)


def _checked(org: Organization, current: PaymentTerms | None, fields: dict[str, Any]) -> dict[str, Any]:
    """The full set of column values the terms would have; raises TermsInputError."""
    unknown = set(fields) - set(TERMS_FIELDS)
    if unknown:
        raise TypeError(f"not payment terms fields: {', '.join(sorted(unknown))}")
    if isinstance(fields.get("name"), str):
        fields = {**fields, "name": " ".join(fields["name"].split())}
    base = current.as_terms() if current else Terms()
    try:
        terms = replace(base, **fields)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise TermsInputError(_field_of(str(exc)), str(exc).replace("_", " ")) from None
    values = {f: getattr(terms, f) for f in TERMS_FIELDS}
    values["late_fee_kind"] = terms.late_fee_kind.value
    for field in ("discount_percent", "late_fee_flat", "late_fee_percent"):
        column = PaymentTerms._meta.get_field(field)
        number = values[field].normalize()
        places = max(0, -number.as_tuple().exponent)
        if places > column.decimal_places or abs(number) >= D(10) ** (column.max_digits - column.decimal_places):
            raise TermsInputError(field, f"{field.replace('_', ' ')} allows at most {column.decimal_places} "
                                         f"decimals and {column.max_digits - column.decimal_places} whole digits")
    if len(values["name"]) > PaymentTerms._meta.get_field("name").max_length:
        raise TermsInputError("name", "name is longer than 60 characters")
    same_name = PaymentTerms.objects.for_org(org).filter(name__iexact=values["name"])
    if current is not None:
        same_name = same_name.exclude(pk=current.pk)
    if same_name.exists():
        raise TermsInputError("name", f"payment terms named {values['name']!r} already exist")
    return values


def _shown(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _audit_data(changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {"before": {k: _shown(old) for k, (old, _) in changes.items()},
            "after": {k: _shown(new) for k, (_, new) in changes.items()}}


@transaction.atomic
def terms_create(*, org: Organization, actor: Actor, now: datetime, **fields: Any) -> PaymentTerms:
    """Add payment terms; ``fields`` are any of ``TERMS_FIELDS`` (the rest take Terms' defaults)."""
    values = _checked(org, None, fields)
    terms = PaymentTerms.objects.create(org=org, **values)
    audit.record(org=org, actor=actor, at=now, verb="terms.created", subject=terms,
                 summary=f"Payment terms {terms.name} created",
                 data=_audit_data({k: (None, v) for k, v in values.items()}))
    return terms


@transaction.atomic
def terms_update(*, org: Organization, terms: PaymentTerms, actor: Actor, now: datetime,
                 **fields: Any) -> PaymentTerms:
    """Change some of the terms' ``TERMS_FIELDS``; existing invoices keep their snapshot."""
    if terms.org_id != org.pk:
        raise LedgerError(f"payment terms {terms} do not belong to {org.slug}")
    values = _checked(org, terms, fields)
    changes = {k: (getattr(terms, k), v) for k, v in values.items() if getattr(terms, k) != v}
    if not changes:
        return terms
    for field, (_, new) in changes.items():
        setattr(terms, field, new)
    terms.save(update_fields=list(changes))
    audit.record(org=org, actor=actor, at=now, verb="terms.updated", subject=terms,
                 summary=f"Payment terms {terms.name} changed: {', '.join(k.replace('_', ' ') for k in changes)}",
                 data=_audit_data(changes))
    return terms
