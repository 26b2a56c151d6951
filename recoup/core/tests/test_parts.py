"""Cutting a day's customers into parts: every id in exactly one part, none over the size."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from recoup.core.parts import counts_sum, in_range, split_ranges


def test_thirty_ids_in_parts_of_seven_make_five_ranges_covering_everything():
    ids = list(range(101, 131))
    ranges = split_ranges(ids, 7)
    assert ranges == [(None, 108), (108, 115), (115, 122), (122, 129), (129, None)]
    assert [sum(in_range(i, r) for i in ids) for r in ranges] == [7, 7, 7, 7, 2]
    # An id that appears after the split (below, between or above) still falls in one part.
    assert [sum(in_range(i, r) for r in ranges) for i in (1, 110, 10_000)] == [1, 1, 1]


def test_ids_that_fit_in_one_part_make_one_unbounded_range():
    assert split_ranges([5, 9], 10) == [(None, None)]
    assert split_ranges([], 10) == [(None, None)]


def test_unsorted_ids_or_a_size_below_one_are_refused():
    with pytest.raises(ValueError):
        split_ranges([3, 1], 2)
    with pytest.raises(ValueError):
        split_ranges([1, 2], 0)


@given(st.sets(st.integers(min_value=1, max_value=10**9), max_size=300), st.integers(min_value=1, max_value=50))
def test_every_id_falls_in_exactly_one_part_of_at_most_size_ids(ids, size):
    ids = sorted(ids)
    ranges = split_ranges(ids, size)
    assert len(ranges) == max(1, -(-len(ids) // size))
    for i in ids:
        assert sum(in_range(i, r) for r in ranges) == 1
    assert all(sum(in_range(i, r) for i in ids) <= size for r in ranges)


def test_the_days_counts_are_the_start_plus_every_part():
    assert counts_sum([{"queued": 3, "customers": 7}, {"customers": 2, "blocked": 1}], start={"drafts_expired": 1}) == \
        {"drafts_expired": 1, "queued": 3, "customers": 9, "blocked": 1}
