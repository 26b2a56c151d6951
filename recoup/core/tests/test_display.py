"""One style for days, times and amounts, in the reader's locale."""

from __future__ import annotations

from datetime import date, datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from recoup.core.display import format_day, format_day_time, localize_sentence

DAY = date(2026, 12, 6)


def test_a_day_reads_as_its_reader_writes_it():
    assert format_day(DAY, "en_GB") == "6 Dec 2026"
    assert format_day(DAY, "de_DE") == "06.12.2026"
    assert format_day(DAY, "fr_FR") == "6 déc. 2026"
    assert format_day(DAY, "en_US") == "Dec 6, 2026"


def test_a_moment_is_shown_in_the_readers_zone_with_a_short_time():
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc)
    assert format_day_time(moment, "en_GB", "Europe/London") == "6 Dec 2026, 23:30"
    assert format_day_time(moment, "de_DE", "Europe/Berlin") == "07.12.2026, 00:30"


def test_amounts_and_iso_dates_in_a_stored_sentence_are_shown_in_the_locale():
    sentence = "Payment of 16260.40 GBP received 2026-12-06"
    assert localize_sentence(sentence, "en_GB") == "Payment of £16,260.40 received 6 Dec 2026"
    assert localize_sentence("Credit note CN-1 for 16260.40 EUR", "de_DE") == "Credit note CN-1 for 16.260,40\xa0€"


def test_what_is_not_an_amount_or_a_day_is_left_alone():
    for text in ("INV-2026-12-06", "paid 12.00 INV-3", "run at 2026-12-06T10:00", "12.5 ABCD", "1.5 XYZ", "2026-13-40", "v1.2 GBPX"):
        assert localize_sentence(text, "en_GB") == text


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_every_amount_with_a_code_comes_out_formatted(minor):
    from recoup.core.money import format_money, from_minor, minor_with_code

    text = f"paid {minor_with_code(minor, 'GBP')}"
    assert localize_sentence(text, "en_GB") == f"paid {format_money(from_minor(minor, 'GBP'), 'GBP', 'en_GB')}"


def test_a_bare_language_takes_the_organizations_country():
    from recoup.core.display import regional

    assert regional("en", "GB") == "en_GB" and regional("de", "AT") == "de_AT"
    assert regional("de_CH", "DE") == "de_CH" and regional("en", "") == "en" and regional("en", "ZZ") == "en"
