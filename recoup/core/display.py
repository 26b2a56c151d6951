"""Dates, times and amounts as a reader in a locale expects them (Babel/CLDR): one style everywhere.

``format_day`` is CLDR's medium date ("6 Dec 2026" in en_GB, "06.12.2026" in de_DE, "Dec 6, 2026"
in en); ``format_day_time`` adds the short time in the reader's zone. ``localize_sentence`` rewrites
the amounts ("16260.40 GBP") and ISO dates ("2026-12-06") inside sentences written earlier for
the audit log, which are stored as they were and shown in the reader's format.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel import localedata
from babel.core import UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format

from recoup.core.money import format_money

FALLBACK = "en"
AMOUNT_WITH_CODE = re.compile(r"(?<![\w.,])(-?\d+(?:\.\d+)?) ([A-Z]{3})(?![\w-])")
ISO_DAY = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-]|:\d)")


def regional(locale: str, country: str) -> str:
    """A bare language made regional by the country where CLDR knows the pair ("en" in GB: "en_GB", so
    days read "6 Dec 2026", not the US "Dec 6, 2026"); a regional locale is kept as it is."""
    locale = (locale or FALLBACK).replace("-", "_")
    if "_" not in locale and country:
        candidate = f"{locale}_{country.upper()}"
        if localedata.exists(candidate):
            return candidate
    return locale


def reader_locale(org) -> str:
    """The locale an operator of ``org`` reads: its locale made regional by its country."""
    return regional(getattr(org, "locale", "") or FALLBACK, getattr(org, "country", "") or "")


def format_day(day: date, locale: str) -> str:
    """The day in the locale's medium style; a datetime counts as its date."""
    if isinstance(day, datetime):
        day = day.date()
    return format_date(day, format="medium", locale=locale or FALLBACK)


def format_day_time(moment: datetime, locale: str, zone: str = "UTC") -> str:
    """The moment in ``zone`` as the medium day and the short time ("6 Dec 2026, 14:05")."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(zone or "UTC"))
    locale = locale or FALLBACK
    pattern = get_datetime_format("medium", locale=locale)
    return (pattern.replace("{1}", format_date(moment.date(), format="medium", locale=locale))
            .replace("{0}", format_time(moment.time(), format="short", locale=locale)))


def localize_sentence(text: str, locale: str) -> str:
    """``text`` with each "1234.50 EUR" amount and each ISO date in the locale's format."""

    def amount(match: re.Match) -> str:
        try:
            return format_money(Decimal(match.group(1)), match.group(2), locale)
        except (InvalidOperation, UnknownLocaleError, ValueError, KeyError):
            return match.group(0)

    def day(match: re.Match) -> str:
        try:
            return format_day(date(int(match.group(1)), int(match.group(2)), int(match.group(3))), locale)
        except ValueError:
            return match.group(0)

    return ISO_DAY.sub(day, AMOUNT_WITH_CODE.sub(amount, text))
