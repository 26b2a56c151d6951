from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.aging import (
    DEFAULT_EDGES,
    AgingItem,
    age_items,
    bucket_index,
    bucket_labels,
    days_past_due,
    parse_edges,
)

AS_OF = date(2026, 3, 31)

edges_strategy = st.lists(st.integers(1, 400), min_size=1, max_size=6, unique=True).map(lambda e: tuple(sorted(e)))


def test_default_labels_read_like_the_report():
    assert bucket_labels() == ["current", "1-30", "31-60", "61-90", "91+"]
    assert bucket_labels((15, 45)) == ["current", "1-15", "16-45", "46+"]
    assert bucket_labels((1,)) == ["current", "1-1", "2+"]


@pytest.mark.parametrize("days, index", [(-10, 0), (0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3),
                                         (91, 4), (5000, 4)])
def test_it_puts_days_past_due_into_the_right_bucket(days, index):
    assert bucket_index(days) == index


@given(edges=edges_strategy, days=st.integers(-1000, 1000))
def test_buckets_partition_all_days_and_match_their_labels(edges, days):
    labels = bucket_labels(edges)
    index = bucket_index(days, edges)
    assert 0 <= index < len(labels)
    label = labels[index]
    if label == "current":
        assert days <= 0
    elif label.endswith("+"):
        assert days >= int(label[:-1])
    else:
        low, high = map(int, label.split("-"))
        assert low <= days <= high
    # Monotone: a day later never lands in an earlier bucket.
    assert bucket_index(days + 1, edges) in (index, index + 1)


def test_days_past_due_is_zero_on_the_due_date():
    assert days_past_due(AS_OF, AS_OF) == 0
    assert days_past_due(date(2026, 3, 1), AS_OF) == 30
    assert days_past_due(date(2026, 4, 10), AS_OF) == -10


@st.composite
def aging_items(draw):
    return draw(st.lists(st.builds(
        AgingItem,
        issue_date=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30)),
        due_date=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 9, 30)),
        open_minor=st.integers(-10_000, 100_000),
    ), max_size=30))


@given(items=aging_items(), edges=edges_strategy)
def test_aged_buckets_sum_to_the_open_total_of_invoices_issued_by_the_date(items, edges):
    totals = age_items(items, as_of=AS_OF, edges=edges)
    assert len(totals) == len(bucket_labels(edges))
    assert sum(totals) == sum(i.open_minor for i in items if i.issue_date <= AS_OF)


@given(items=aging_items())
def test_each_invoice_lands_in_the_bucket_of_its_days_past_due(items):
    totals = age_items(items, as_of=AS_OF)
    expected = [0] * 5
    for i in items:
        if i.issue_date <= AS_OF:
            expected[bucket_index((AS_OF - i.due_date).days)] += i.open_minor
    assert totals == expected


def test_it_ages_a_small_ledger():
    items = [
        AgingItem(date(2026, 3, 1), AS_OF, 100),  # due today: current
        AgingItem(date(2026, 1, 1), AS_OF - timedelta(days=30), 200),
        AgingItem(date(2026, 1, 1), AS_OF - timedelta(days=31), 300),
        AgingItem(date(2025, 1, 1), date(2025, 6, 1), 400),
        AgingItem(date(2026, 4, 1), date(2026, 5, 1), 999),  # issued after the date: ignored
    ]
    assert age_items(items, as_of=AS_OF) == [100, 200, 300, 0, 400]


@pytest.mark.parametrize("text, edges", [("30,60,90", (30, 60, 90)), (" 15, 45 ", (15, 45)), ("7", (7,)),
                                         ("030,60", (30, 60))])
def test_it_parses_bucket_edges(text, edges):
    assert parse_edges(text) == edges


@pytest.mark.parametrize("text, message", [
    ("", "at least one"), ("  ", "at least one"), ("30,,60", "'' is not a whole number"),
    ("30,abc", "'abc' is not a whole number"), ("30.5", "not a whole number"), ("-30", "not a whole number"),
    ("0,30", "positive"), ("60,30", "strictly increasing"), ("30,30", "strictly increasing"),
    ("30,99999", "at most 36500"), ("٣٠", "not a whole number"),
])
def test_it_refuses_bad_bucket_edges_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_edges(text)


@pytest.mark.parametrize("edges", [(), (0,), (30, 30), (True,), ("30",)])
def test_labels_refuse_bad_edges(edges):
    with pytest.raises(ValueError):
        bucket_labels(edges)


def test_default_edges_are_30_60_90():
    assert DEFAULT_EDGES == (30, 60, 90)
