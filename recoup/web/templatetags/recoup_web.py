"""Template helpers: money, days and times in the organization's locale and zone, percentages, query strings.

Every date and amount a person reads goes through ``money``/``money_minor``/``day``/``day_time``
(``recoup.core.display``): one style per reader, never ISO dates or "1234.50 GBP" in visible text.
Machine values (``datetime`` attributes, query strings) keep ``|date:'c'`` and ``|date:'Y-m-d'``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_decimal
from django import template
from django.utils import translation
from django.utils.http import urlencode

from recoup.core.display import format_day, format_day_time, localize_sentence, reader_locale
from recoup.core.money import format_money, from_minor

register = template.Library()


def _locale(context) -> str:
    """The reader's locale: ``reader_locale`` where a page is for the debtor, else the organization's."""
    if context.get("reader_locale"):
        return context["reader_locale"]
    org = context.get("org")
    if org is None:
        return translation.get_language() or "en"
    return reader_locale(org)


def _zone(context) -> str:
    return getattr(context.get("org"), "timezone", None) or "UTC"


@register.simple_tag(takes_context=True)
def day(context, value: date | None) -> str:
    """``{% day invoice.due_date %}``: the day in the org's locale ("6 Dec 2026", "06.12.2026")."""
    if not value:
        return ""
    return format_day(value, _locale(context))


@register.simple_tag(takes_context=True)
def day_time(context, value: datetime | None) -> str:
    """``{% day_time message.created_at %}``: the day and time in the org's locale and time zone."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return format_day(value, _locale(context))
    return format_day_time(value, _locale(context), _zone(context))


@register.simple_tag(takes_context=True)
def sentence(context, text: str | None) -> str:
    """``{% sentence event.summary %}``: a stored sentence with its amounts and ISO dates in the org's format."""
    return localize_sentence(text or "", _locale(context))


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


@register.simple_tag(takes_context=True)
def percent(context, value: Decimal | None) -> str:
    """``{% percent rate %}``: a percentage in the reader's locale, without trailing zeros or an exponent
    (12.25, 10, 0.5; "12,25" in German)."""
    if value is None:
        return ""
    digits = f"{Decimal(value).normalize():f}"
    places = len(digits.split(".")[1]) if "." in digits else 0
    return format_decimal(Decimal(digits), format="#,##0" + ("." + "0" * places if places else ""),
                          locale=_locale(context))


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


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number) -> str:
    """``query`` with the page parameter named ``param`` (``page``, or a list's own on a page of several)."""
    return query(context, **{param: number})


@register.simple_tag(takes_context=True)
def cell(context, value) -> str:
    """``{% cell v %}``: a table cell for the page; an amount or a day that knows itself (``insight.tables``)
    is shown in the org's format, anything else as it is."""
    if hasattr(value, "currency") and hasattr(value, "minor"):
        return format_money(from_minor(int(value.minor), value.currency), value.currency, _locale(context))
    if isinstance(getattr(value, "day", None), date):
        return format_day(value.day, _locale(context))
    return "" if value is None else str(value)
