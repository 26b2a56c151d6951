"""Dates and amounts as accounting tools export them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.exported_values import (
    DateOrder, ValueProblem, date_reading, locale_date_order, locale_decimal, marker_fits, read_amount, read_date,
)


@pytest.mark.parametrize("text, value, marker", [
    ("1234.50", "1234.50", ""),
    ("1,234.50", "1234.50", ""),
    ("$13.50 ", "13.50", "$"),
    ("(1,234.56)", "-1234.56", ""),
    ("($1,234.56)", "-1234.56", "$"),
    ("-$5.00", "-5.00", "$"),
    ("5.00-", "-5.00", ""),
    ("\u22123.00", "-3.00", ""),
    ("USD 1,020.00", "1020.00", "USD"),
    ("1.234.567,89 €", "1234567.89", "€"),
    ("1 234 567,89", "1234567.89", ""),
    ("1'234.50", "1234.50", ""),
    ("12,50", "12.50", ""),
    ("1,250", "1250", ""),
    ("0,500", "0.500", ""),
])
def test_it_reads_the_amounts_exports_write(text, value, marker):
    assert read_amount(text) == type(read_amount(text))(Decimal(value), marker)


def test_a_single_separator_before_three_digits_is_read_as_the_locale_writes_it():
    assert read_amount("1,250", decimal=".").value == Decimal("1250")
    assert read_amount("1,250", decimal=",").value == Decimal("1.250")
    assert read_amount("1.250", decimal=",").value == Decimal("1250")
    assert read_amount("1.250", decimal=".").value == Decimal("1.250")


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "12 34", "--5", "(-5)", "1.", ".5", "1,234.56.7", "$5€",
                                  "1,23,456.00", "1e5", "0x10"])
def test_it_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueProblem):
        read_amount(text)


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2),
       st.sampled_from(["en", "en_GB", "de_DE", "fr_FR", "de_CH", "es_ES", "nl_NL", "sv_SE"]),
       st.booleans(), st.booleans())
def test_an_amount_formatted_in_a_locale_reads_back_exactly(value, locale, grouped, brackets):
    text = format_decimal(abs(value), format="#,##0.00" if grouped else "0.00", locale=locale)
    if value < 0:
        text = f"({text})" if brackets else f"-{text}"
    assert read_amount(text, decimal=locale_decimal(locale)).value == value


def test_currency_markers_must_fit_the_currency():
    assert marker_fits("$", "USD") and marker_fits("$", "CAD") and marker_fits("USD", "USD")
    assert marker_fits("£", "GBP") and marker_fits("€", "EUR") and marker_fits("", "JPY")
    assert not marker_fits("€", "USD") and not marker_fits("US$", "CAD") and not marker_fits("GBP", "USD")


@pytest.mark.parametrize("locale, order", [("en", DateOrder.MDY), ("en_US", DateOrder.MDY), ("en_GB", DateOrder.DMY),
                                           ("de_DE", DateOrder.DMY), ("fr", DateOrder.DMY), ("sv", DateOrder.YMD),
                                           ("en_AU", DateOrder.DMY), ("nonsense", DateOrder.MDY)])
def test_the_locale_decides_the_order_of_day_and_month(locale, order):
    assert locale_date_order(locale) == order


def test_a_day_first_file_reads_day_first_in_a_day_first_locale():
    cells = ["03/04/2026", "25/03/2026", "1.2.26"]
    reading = date_reading(cells, locale="en_GB")
    assert [read_date(c, reading) for c in cells] == [date(2026, 4, 3), date(2026, 3, 25), date(2026, 2, 1)]


def test_an_ambiguous_date_in_a_file_with_no_day_above_12_is_refused_not_guessed():
    reading = date_reading(["03/04/2026", "05/06/2026", "07/07/2026"], locale="en_GB")
    with pytest.raises(ValueProblem, match="ambiguous: no date in this file has a day above 12"):
        read_date("03/04/2026", reading)
    assert read_date("07/07/2026", reading) == date(2026, 7, 7)  # the same either way
    chosen = date_reading(["03/04/2026"], locale="en_GB", explicit=DateOrder.MDY)
    assert read_date("03/04/2026", chosen) == date(2026, 3, 4)


def test_a_date_impossible_in_the_locales_order_is_refused():
    reading = date_reading(["10/20/2019", "03/04/2026"], locale="en_GB")
    with pytest.raises(ValueProblem, match="not a date in day/month/year order .*locale en_GB"):
        read_date("10/20/2019", reading)
    us = date_reading(["10/20/2019"], locale="en")
    assert read_date("10/20/2019", us) == date(2019, 10, 20)
    with pytest.raises(ValueProblem, match="month/day/year"):
        read_date("25/03/2026", us)


def test_a_year_first_locale_takes_the_order_from_the_file_or_refuses():
    assert read_date("25/03/2026", date_reading(["25/03/2026"], locale="sv")) == date(2026, 3, 25)
    reading = date_reading(["03/04/2026"], locale="sv")
    with pytest.raises(ValueProblem, match="ambiguous"):
        read_date("03/04/2026", reading)


@pytest.mark.parametrize("text, expected", [
    ("2026-03-31", date(2026, 3, 31)), ("2021-01-28T11:04:09+00:00", date(2021, 1, 28)),
    ("2021-01-28 00:00:00", date(2021, 1, 28)), ("2026/03/31", date(2026, 3, 31)),
    ("Jan 28 2021", date(2021, 1, 28)), ("28 January 2021", date(2021, 1, 28)), ("28-Jan-2021", date(2021, 1, 28)),
    ("January 28, 2021", date(2021, 1, 28)), ("Sept 3 2021", date(2021, 9, 3)),
])
def test_it_reads_iso_and_named_month_dates_whatever_the_locale(text, expected):
    assert read_date(text, date_reading([], locale="en_GB")) == expected


def test_it_reads_month_names_in_the_locales_language():
    assert read_date("3. März 2026", date_reading([], locale="de_DE"), "de_DE") == date(2026, 3, 3)


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-30", "31/02/2026", "yesterday", "Foo 3 2026", "3/4"])
def test_it_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueProblem):
        read_date(text, date_reading([text, "25/12/2026"], locale="en_GB"))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       st.sampled_from(["en", "en_GB", "de_DE", "fr_FR", "en_AU", "es_ES", "nl_NL", "pt_BR"]))
def test_a_date_formatted_in_a_locale_reads_back_once_the_file_shows_a_day_above_12(day, locale):
    text = format_date(day, format="short", locale=locale)
    confirming = format_date(date(2026, 1, 25), format="short", locale=locale)
    assert read_date(text, date_reading([text, confirming], locale=locale), locale) == day


@given(st.text(max_size=40), st.sampled_from([".", ","]))
def test_any_text_is_an_amount_or_a_clear_refusal(text, decimal):
    try:
        amount = read_amount(text, decimal=decimal)
    except ValueProblem as exc:
        assert str(exc)
    else:
        assert amount.value.is_finite()


@given(st.text(max_size=40), st.sampled_from(["en", "en_GB", "de_DE", "sv"]))
def test_any_text_is_a_date_or_a_clear_refusal(text, locale):
    try:
        read_date(text, date_reading([text], locale=locale), locale)
    except ValueProblem as exc:
        assert str(exc)
