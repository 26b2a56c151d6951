"""Template helpers: money in the organization's locale, percentages, and query strings."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.http import urlencode

from recoup.core.money import format_money, from_minor

register = template.Library()


def _locale(context) -> str:
    org = context.get("org")
    return getattr(org, "locale", None) or "en"


@register.simple_tag(takes_context=True)
def money(context, amount: Decimal | None, currency: str) -> str:
    """``{% money amount currency %}``: a Decimal in major units, formatted for the org's locale."""
    if amount is None:
        return ""
    return format_money(amount, currency, _locale(context))


@register.simple_tag(takes_context=True)
def money_minor(context, minor: int | None, currency: str) -> str:
    """``{% money_minor invoice.open_minor invoice.currency %}``: integer minor units."""
    if minor is None:
        return ""
    return format_money(from_minor(int(minor), currency), currency, _locale(context))


@register.filter
def percent(value: Decimal | None) -> str:
    """``{{ rate|percent }}``: a percentage without trailing zeros or an exponent (12.25, 10, 0.5)."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters replaced (``page=2``)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"
