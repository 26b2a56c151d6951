"""Splitting a day's work into parts that any worker may take: pure arithmetic on sorted ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Bounds = tuple[int | None, int | None]


def split_ranges(ids: Sequence[int], size: int) -> list[Bounds]:
    """Cut the sorted, distinct ``ids`` into ranges of at most ``size`` of them.

    Each range is ``(from, below)``: ids ``>= from`` and ``< below``; the first starts unbounded
    (None) and the last ends unbounded, so the ranges together cover every id there is, including
    one that appears after the split. One range (None, None) when ``ids`` fit in one part.
    """
    if size < 1:
        raise ValueError("a part holds at least one id")
    if list(ids) != sorted(set(ids)):
        raise ValueError("ids must be sorted and distinct")
    starts = [ids[i] for i in range(0, len(ids), size)][1:]
    lows: list[int | None] = [None, *starts]
    highs: list[int | None] = [*starts, None]
    return list(zip(lows, highs))


def in_range(value: int, bounds: Bounds) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value < high)


def counts_sum(parts: Iterable[Mapping[str, int]], start: Mapping[str, int] | None = None) -> dict[str, int]:
    """The day's counts: what its start counted plus every part's, key by key (keys in first-seen order)."""
    total: dict[str, int] = dict(start or {})
    for counts in parts:
        for key, value in counts.items():
            total[key] = total.get(key, 0) + int(value)
    return total
