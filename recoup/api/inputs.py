"""Helpers the routers share: the acting token's organization, lookups that 404, paging, parsing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from recoup.api.problems import ApiProblem
from recoup.audit.actions import Actor
from recoup.audit.models import ActorKind
from recoup.core.money import minor_exponent, parse_amount, to_minor
from recoup.orgs.models import Organization

MAX_ID = 2**62
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2199, 12, 31)
MAX_AMOUNT = Decimal(10) ** 12


def org_of(request) -> Organization:
    return request.auth.org


def actor_of(request) -> Actor:
    token = request.auth
    who = token.created_by.get_username() if token.created_by else "API"
    return Actor(kind=ActorKind.USER if token.created_by else ActorKind.SYSTEM,
                 label=f"{who} via API token {token.name}", user=token.created_by)


def now() -> datetime:
    return timezone.now()


def get_or_404(model, org: Organization, pk: int | None, what: str, queryset: QuerySet | None = None):
    if pk is None or not 0 < pk < MAX_ID:
        raise ApiProblem(404, f"no {what} {pk}")
    qs = queryset if queryset is not None else model.objects.for_org(org)
    obj = qs.filter(org=org, pk=pk).first()
    if obj is None:
        raise ApiProblem(404, f"no {what} {pk}")
    return obj


def ref_or_id(model, org: Organization, *, pk: int | None, ref: str | None, field: str, what: str,
              ref_field: str = "ref", required: bool = True):
    """A row named by id or by its reference (customer ref, invoice number); 422 when neither finds it."""
    if pk is None and not ref:
        if required:
            raise ApiProblem(422, f"give {field}_id or {field}_{ref_field}",
                             errors=[{"field": f"{field}_id", "message": "required"}])
        return None
    qs = model.objects.for_org(org)
    if pk is not None:
        row = qs.filter(pk=pk).first() if 0 < pk < MAX_ID else None
        name = f"{field}_id"
    else:
        row = qs.filter(**{ref_field: ref}).first()
        name = f"{field}_{ref_field}"
    if row is None:
        raise ApiProblem(422, f"no {what} {pk if pk is not None else ref!r}", errors=[{"field": name,
                                                                                        "message": "not found"}])
    return row


def check_date(value: date | None, field: str) -> date | None:
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ApiProblem(422, f"{field}: {value} is outside {MIN_DATE}..{MAX_DATE}",
                         errors=[{"field": field, "message": "out of range"}])
    return value


def currency_of(org: Organization, value: str | None, field: str = "currency") -> str:
    code = (value or org.base_currency).upper()
    try:
        minor_exponent(code)
    except ValueError:
        raise ApiProblem(422, f"{field}: {value!r} is not an ISO 4217 currency code",
                         errors=[{"field": field, "message": "unknown currency"}]) from None
    return code


def amount_minor(text: str, currency: str, field: str) -> int:
    try:
        amount = parse_amount(text, currency)
    except ValueError as exc:
        raise ApiProblem(422, f"{field}: {exc}", errors=[{"field": field, "message": str(exc)}]) from None
    if abs(amount) >= MAX_AMOUNT:
        raise ApiProblem(422, f"{field}: {text} is too large", errors=[{"field": field, "message": "too large"}])
    return to_minor(amount, currency)


def decimal_in(text: str, field: str, *, places: int, limit: Decimal) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        value = None
    if value is None or not value.is_finite() or abs(value) >= limit or -value.as_tuple().exponent > places:
        raise ApiProblem(422, f"{field}: {text!r} is not a number below {limit} with at most {places} decimals",
                         errors=[{"field": field, "message": "invalid number"}])
    return value


def paged(qs: QuerySet, limit: int, offset: int) -> dict[str, Any]:
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": list(qs[offset:offset + limit])}


class refusals:
    """Turn an action's refusal (its ValueError subclass, with a message for people) into a 422 problem."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        from recoup.api.actions import ApiError
        from recoup.arrangements.actions import ArrangementError
        from recoup.collections.actions import CollectionsError
        from recoup.ledger.actions import LedgerError

        if exc_type is not None and issubclass(exc_type, (LedgerError, CollectionsError, ArrangementError, ApiError)):
            field = getattr(exc, "field", "")
            raise ApiProblem(422, f"{field}: {exc}" if field else str(exc), errors=[{"field": field, "message": str(exc)}] if field else None) \
                from None
        return False
