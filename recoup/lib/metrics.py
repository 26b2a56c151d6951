"""The metrics' registry: each app registers functions that read its figures at scrape time.

A source is ``source(now) -> iterable of prometheus_client metric families`` (``GaugeMetricFamily``,
``CounterMetricFamily``). Everything is read from the database when ``/metrics`` is scraped,
so the figures are the same whichever web process answers and however many run: nothing is
counted in a process's memory. An app registers its sources in ``AppConfig.ready()``:

    from recoup.lib import metrics

    metrics.register("outbox", outbox_metrics)
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

Source = Callable[[datetime], Iterable]
_SOURCES: dict[str, Source] = {}
PREFIX = "recoup_"


def register(name: str, source: Source) -> None:
    """Add (or replace, by name) a source of metric families."""
    _SOURCES[name] = source


class _Scrape(Collector):
    """One scrape: every source at the same ``now``; a source that fails is reported, not fatal."""

    def __init__(self, now: datetime):
        self.now = now

    def collect(self):
        failed = GaugeMetricFamily(f"{PREFIX}metrics_source_up", "1 when the metrics source could be read",
                                   labels=["source"])
        for name, source in _SOURCES.items():
            try:
                families = list(source(self.now))
            except Exception:  # noqa: BLE001 - the other sources still answer
                log.warning("metrics source %s failed", name, exc_info=True)
                failed.add_metric([name], 0)
                continue
            failed.add_metric([name], 1)
            yield from families
        yield failed


def render(*, now: datetime) -> bytes:
    """The Prometheus text exposition of every registered source at ``now``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(now))
    return generate_latest(registry)
