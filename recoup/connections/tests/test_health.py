"""/readyz and /metrics say when the books are out of step, as the cycle does when it holds its steps."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from recoup.connections.health import sync_metrics, sync_problems
from recoup.connections.models import Connection, ConnectionStatus
from recoup.lib import health


def test_books_synced_within_the_limit_are_healthy(connection, now):
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=now - timedelta(hours=5))
    assert sync_problems(now) == []
    assert "sync" in health._CHECKS, "the app registers its check for /readyz"


def test_books_older_than_the_limit_fail_readiness_for_their_organization_only(connection, org_a, now):
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=now - timedelta(hours=7))
    [problem] = sync_problems(now)
    assert problem.org_id == org_a.pk
    assert "books not synced since" in problem.text and "Xero" in problem.text and "6 h" in problem.text


def test_a_connection_never_synced_or_broken_fails_and_a_disconnected_one_does_not(connection, now):
    assert "since connecting" in sync_problems(now)[0].text
    Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.BROKEN, last_synced_at=now)
    assert "needs reconnecting" in sync_problems(now)[0].text
    Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.DISCONNECTED)
    assert sync_problems(now) == []


def test_the_sync_lag_is_a_metric(connection, now):
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.registry import Collector

    Connection.objects.filter(pk=connection.pk).update(last_synced_at=now - timedelta(minutes=90))

    class One(Collector):
        def collect(self):
            return sync_metrics(now)

    registry = CollectorRegistry()
    registry.register(One())
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    [sample] = families["recoup_books_sync_lag_seconds"].samples
    assert sample.labels == {"org": "acme", "provider": "xero"} and sample.value == 5400.0
