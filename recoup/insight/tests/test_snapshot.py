"""The insight snapshot: the figures the pages show are computed once a day (after the cycle) and are
exactly what the per-request computation gave; the pages read the stored row and say when it was made."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

ON = date(2026, 3, 31)


@pytest.fixture
def viewer(client, org_a, system, now, monkeypatch):
    from django.utils import timezone

    from recoup.orgs.actions import member_add

    monkeypatch.setattr(timezone, "now", lambda: now)
    client.force_login(member_add(org=org_a, username="a-viewer", role="viewer", actor=system, now=now).user)
    return client


def test_the_stored_figures_equal_the_computation_from_the_ledger(example, org_a, now):
    from recoup.core import forecast as fc
    from recoup.insight import selectors, snapshot, tables
    from recoup.insight.actions import insight_snapshot_write

    row, = insight_snapshot_write(org=org_a, on=ON, now=now)
    summary, = selectors.org_metrics(org=org_a, on=ON, months=12)
    metrics = snapshot.metrics_context(row.data)
    assert metrics["summary"]["dso"] == str(summary.dso) and metrics["summary"]["cei"] == str(summary.cei)
    assert metrics["trend_table"].rows == tables.trend_table(summary).rows
    assert metrics["metrics_table"].rows == tables.metrics_table(summary).rows
    preds, forecast, queue = selectors.cash_forecast(org=org_a, currency="GBP", on=ON)
    stored = snapshot.forecast_context(row.data)
    assert stored["forecast_table"].rows == tables.forecast_table(forecast, "GBP").rows
    assert sum(w.expected_minor for w in forecast.weeks) + forecast.later_minor == sum(i.open_minor for i in preds.items)
    assert [r[0] for r in stored["queue_table"].rows] == [
        selectors.open_invoice_labels(org=org_a, keys=[q.key])[int(q.key)].number for q in queue[:50]]
    assert stored["predictions"]["method"] == preds.method == "fallback"
    risk = tables.risk_table(selectors.customer_insights(org=org_a, on=ON, currency="GBP"))
    assert snapshot.export_table(row, "risk").rows == risk.rows
    assert snapshot.index_context(row.data)["risk_table"].rows == risk.rows[:snapshot.RISK_ROWS_SHOWN]
    steps = tables.steps_table(selectors.step_effectiveness(org=org_a, on=ON))
    assert snapshot.export_table(row, "steps").rows == steps.rows
    assert fc.DEFAULT_CALL_LIFT > 0  # the queue above used the default lift: no calls made yet


def test_the_page_shows_the_stored_day_until_the_next_snapshot(example, org_a, viewer, system, now):
    from recoup.insight.actions import insight_snapshot_write
    from recoup.ledger.actions import payment_record

    insight_snapshot_write(org=org_a, on=ON, now=now - timedelta(hours=3))
    page = viewer.get(reverse("insight_home", args=["acme"])).content.decode()
    assert "54.0 days" in page and "computed 31 Mar 2026, 10:00" in page
    # A payment today changes the ledger, not the page, until the figures are computed again.
    invoice = example["INV-3"]
    payment_record(org=org_a, customer=invoice.customer, date=ON, amount_minor=200000, currency="GBP",
                   invoice=invoice, actor=system, now=now)
    assert "54.0 days" in viewer.get(reverse("insight_home", args=["acme"])).content.decode()
    insight_snapshot_write(org=org_a, on=ON, now=now)
    page = viewer.get(reverse("insight_home", args=["acme"])).content.decode()
    assert "54.0 days" not in page and "computed 31 Mar 2026, 13:00" in page


def test_a_visit_reads_one_stored_row_not_the_invoices(example, org_a, viewer, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recoup.insight.actions import insight_snapshot_write

    insight_snapshot_write(org=org_a, on=ON, now=now)
    for name in ("insight_home", "insight_forecast", "dashboard"):
        with CaptureQueriesContext(connection) as ctx:
            assert viewer.get(reverse(name, args=["acme"])).status_code == 200
        # Every payment of every invoice is read (invoice_facts) only when the figures are computed.
        touched = [q["sql"] for q in ctx.captured_queries
                   if '"ledger_allocation"."invoice_id", "ledger_allocation"."date"' in q["sql"]]
        assert touched == [], name


def test_a_day_without_a_snapshot_shows_the_latest_and_says_as_of_when(example, org_a, viewer, now):
    from recoup.insight.actions import insight_snapshot_write

    insight_snapshot_write(org=org_a, on=date(2026, 3, 30), now=now - timedelta(days=1))
    page = viewer.get(reverse("insight_home", args=["acme"])).content.decode()
    assert "Metrics as of 30 Mar 2026" in page
    page = viewer.get(reverse("dashboard", args=["acme"])).content.decode()
    assert "As of 30 Mar 2026" in page


def test_the_scheduler_writes_the_days_snapshot_after_the_cycle(example, org_a):
    from recoup.collections.scheduler import scheduler_tick
    from recoup.insight.models import InsightSnapshot

    at = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    assert scheduler_tick(now=at, orgs=[org_a], deliver=False).ran
    row = InsightSnapshot.objects.for_org(org_a).get()
    assert (row.on, row.currency, row.computed_at) == (date(2026, 4, 1), "GBP", at)
    assert row.data["metrics"]["summary"]["dso"]
    # ... and the day's aging rows, which the aging report and the dashboard read.
    from recoup.reports.aging import aging
    from recoup.reports.aging_store import as_aging_row, stored_is_current, stored_rows

    assert stored_is_current(org_a, date(2026, 4, 1))
    live = aging(org=org_a, as_of=date(2026, 4, 1)).rows
    assert live and [as_aging_row(r).buckets_minor for r in stored_rows(org_a)] == [r.buckets_minor for r in live]


def test_a_page_computing_a_missing_snapshot_leaves_the_aging_rows_alone(example, org_a, now):
    from recoup.insight.actions import insight_snapshot_write
    from recoup.reports.models import AgingDay

    insight_snapshot_write(org=org_a, on=ON, now=now, currencies=["GBP"])
    assert not AgingDay.objects.filter(org=org_a).exists()


def test_the_snapshot_command_stores_the_figures(example, org_a, capsys):
    from django.core.management import call_command

    from recoup.insight.models import InsightSnapshot

    call_command("insight_snapshot", "--org", "acme", "--as-of", "2026-03-31")
    assert "insight snapshot of acme as of 2026-03-31: GBP" in capsys.readouterr().out
    assert InsightSnapshot.objects.for_org(org_a).filter(on=ON).count() == 1


def test_the_charts_name_months_and_days_in_the_organizations_language(example, org_a, now):
    from recoup.insight.actions import insight_snapshot_write

    org_a.locale, org_a.country = "de", "DE"
    org_a.save(update_fields=["locale", "country"])
    row, = insight_snapshot_write(org=org_a, on=ON, now=now, currencies=["GBP"])
    assert "März 26" in row.data["metrics"]["aging_chart"] and "Mar 26" not in row.data["metrics"]["aging_chart"]
    assert "März 26" in row.data["metrics"]["dso_chart"]
    assert "Apr." in row.data["forecast"]["forecast_chart"]  # the weeks after 31 March, as Germans abbreviate them


def test_a_large_ledgers_missing_figures_are_computed_once_by_a_worker_not_by_the_page(
        example, org_a, viewer, now, settings, django_capture_on_commit_callbacks):
    """No page reads a ledger too large to read while it waits: a worker computes the day's figures,
    once however many pages ask, and the pages say they are coming, then show them."""
    from django_tasks_db.models import DBTaskResult

    from recoup.insight.models import InsightSnapshot, InsightSnapshotRequest
    from recoup.insight.tasks import snapshot_compute

    settings.RECOUP_INSIGHT_INLINE_INVOICES = 2  # the example's ledger counts as large
    asked = lambda: [r.args_kwargs["args"] for r in DBTaskResult.objects.filter(  # noqa: E731
        task_path__endswith="snapshot_compute")]
    with django_capture_on_commit_callbacks(execute=True):
        page = viewer.get(reverse("insight_home", args=["acme"]))
        assert page.status_code == 202 and page["Retry-After"] == "60"
        assert "being computed from the whole ledger by a background worker" in page.content.decode()
        assert viewer.get(reverse("insight_forecast", args=["acme"])).status_code == 202
        dashboard = viewer.get(reverse("dashboard", args=["acme"]))
        assert dashboard.status_code == 200 and "being computed by a background worker" in dashboard.content.decode()
    assert asked() == [[org_a.pk, "GBP", ON.isoformat()]]  # three pages, one computation
    assert not InsightSnapshot.objects.exists()

    snapshot_compute.call(org_a.pk, "GBP", ON.isoformat())  # what the worker runs
    assert not InsightSnapshotRequest.objects.exists()
    page = viewer.get(reverse("insight_home", args=["acme"]))
    assert page.status_code == 200 and "Metrics as of 31 Mar 2026" in page.content.decode()
    assert "As of 31 Mar 2026" in viewer.get(reverse("dashboard", args=["acme"])).content.decode()


def test_a_request_left_by_a_dead_worker_is_asked_again(example, org_a, viewer, now, settings,
                                                        django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from recoup.insight.models import InsightSnapshotRequest

    settings.RECOUP_INSIGHT_INLINE_INVOICES = 2
    InsightSnapshotRequest.objects.create(org=org_a, currency="GBP", on=ON, requested_at=now - timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert viewer.get(reverse("insight_home", args=["acme"])).status_code == 202
    assert not DBTaskResult.objects.exists()  # asked 20 minutes ago: a worker may be at it still
    InsightSnapshotRequest.objects.update(requested_at=now - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert viewer.get(reverse("insight_home", args=["acme"])).status_code == 202
    assert DBTaskResult.objects.filter(task_path__endswith="snapshot_compute").count() == 1
