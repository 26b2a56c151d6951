"""/healthz, /readyz and /metrics as a proxy, a monitor and Prometheus see them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from recoup.collections.models import CycleRun
from recoup.ops.models import Heartbeat
from recoup.ops.tests.conftest import NOW

TOKEN = "s3cret-metrics-token"


def _message(org, customer, n, **kw):
    from recoup.messaging.models import Message

    fields = {"channel": "email", "status": "queued", "to_address": "a@example.com", "created_at": NOW,
              "message_id": f"<m{n}@test>", "idempotency_key": f"k{n}", **kw}
    return Message.objects.create(org=org, customer=customer, **fields)


def test_healthz_answers_any_host_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["recoup.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8001")
    assert response.status_code == 200 and response.json() == {"status": "up"}
    # The same request for a page is refused: only the health endpoints skip the host check.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8001").status_code == 400


def test_readyz_is_green_when_every_part_works(client, clock, live_processes, org_ran_today):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert {"database", "migrations", "worker", "scheduler", "cycle", "outbox"} <= set(body["checks"])
    assert set(body["checks"].values()) == {"ok"}


def test_readyz_names_what_fails_but_says_why_only_with_the_token(client, clock, settings, org_ran_today):
    settings.RECOUP_METRICS_TOKEN = TOKEN
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["worker"] == "failing" and body["checks"]["database"] == "ok"
    assert "never started" not in response.content.decode()
    detailed = client.get("/readyz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()
    assert detailed["checks"]["worker"] == {"ok": False,
                                            "problems": ["no worker has ever started (`recoup worker`)"]}
    assert client.get("/readyz", HTTP_AUTHORIZATION="Bearer wrong").json()["checks"]["worker"] == "failing"


def test_a_worker_that_stopped_beating_fails_readiness(client, clock, settings, live_processes, org_ran_today):
    settings.RECOUP_METRICS_TOKEN = TOKEN
    Heartbeat.objects.filter(kind="worker").update(beat_at=NOW - timedelta(days=400))  # long before the DB's now
    checks = client.get("/readyz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()["checks"]
    assert not checks["worker"]["ok"] and "has beaten for" in checks["worker"]["problems"][0]
    assert checks["scheduler"]["ok"]


def test_schedulers_without_a_leader_fail_readiness(client, clock, live_processes, org_ran_today):
    Heartbeat.objects.filter(kind="scheduler").update(leader=False)
    assert client.get("/readyz").json()["checks"]["scheduler"] == "failing"


def test_a_late_cycle_fails_readiness_naming_the_organization(client, clock, settings, live_processes,
                                                              org_ran_today, monkeypatch):
    from django.utils import timezone

    settings.RECOUP_METRICS_TOKEN = TOKEN
    CycleRun.objects.all().delete()
    checks = client.get("/readyz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()["checks"]
    assert checks["cycle"]["problems"] == [
        "acme: the collections cycle for 2026-03-31 has not run (due at 07:00 Europe/London, 60 minutes' grace): "
        "is the scheduler running?"]
    # At 07:30 London, within the grace, yesterday's day is the one that must have run.
    monkeypatch.setattr(timezone, "now", lambda: NOW - timedelta(hours=2))
    assert "2026-03-30 has not run" in client.get(
        "/readyz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()["checks"]["cycle"]["problems"][0]
    CycleRun.objects.create(org=org_ran_today, date=date(2026, 3, 30), started_at=NOW - timedelta(days=1),
                            finished_at=NOW - timedelta(days=1))
    assert client.get("/readyz").json()["checks"]["cycle"] == "ok"


def test_a_dry_run_does_not_count_as_the_days_cycle(client, clock, live_processes, org_ran_today):
    CycleRun.objects.update(dry_run=True)
    assert client.get("/readyz").json()["checks"]["cycle"] == "failing"


def test_a_message_due_long_ago_and_not_delivered_fails_readiness(client, clock, settings, live_processes,
                                                                  org_ran_today, make_customer):
    settings.RECOUP_METRICS_TOKEN = TOKEN
    customer = make_customer(org_ran_today)
    _message(org_ran_today, customer, 1, next_attempt_at=NOW + timedelta(hours=20))  # waits for its window
    _message(org_ran_today, customer, 2, next_attempt_at=NOW - timedelta(minutes=10))  # due, within the margin
    assert client.get("/readyz").status_code == 200
    _message(org_ran_today, customer, 3, next_attempt_at=NOW - timedelta(hours=2))
    checks = client.get("/readyz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()["checks"]
    assert checks["outbox"]["problems"] == [
        "acme: 1 message(s) due for more than 30 minutes and not delivered: are the workers running?"]


def test_metrics_are_off_until_a_token_is_set_and_refuse_a_wrong_one(client, settings):
    settings.RECOUP_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.RECOUP_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-tokeX")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def _scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def test_metrics_report_queue_messages_cycle_workers_and_webhooks(client, clock, settings, live_processes,
                                                                  org_ran_today, make_customer):
    from recoup.api.models import WebhookDelivery, WebhookEndpoint

    settings.RECOUP_METRICS_TOKEN = TOKEN
    customer = make_customer(org_ran_today)
    _message(org_ran_today, customer, 1, status="sent")
    _message(org_ran_today, customer, 2, status="sent")
    _message(org_ran_today, customer, 3, channel="sms", status="failed")
    _message(org_ran_today, customer, 4, next_attempt_at=NOW - timedelta(minutes=5))
    _message(org_ran_today, customer, 5, next_attempt_at=NOW + timedelta(hours=1))
    endpoint = WebhookEndpoint.objects.create(org=org_ran_today, url="https://hooks.example.com/", secret="x",
                                              created_at=NOW)
    for n, status in enumerate(("failed", "failed", "delivered")):
        WebhookDelivery.objects.create(org=org_ran_today, endpoint=endpoint, event_id=f"e{n}", event_type="t",
                                       dedupe_key=f"d{n}", payload={}, status=status, created_at=NOW)
    m = _scrape(client)
    assert m[("recoup_outbox_due_messages", (("channel", "email"),))] == 1
    assert m[("recoup_outbox_oldest_due_age_seconds", (("channel", "email"),))] == 300
    assert m[("recoup_messages_sent_total", (("channel", "email"),))] == 2
    assert m[("recoup_messages_failed_total", (("channel", "sms"),))] == 1
    assert m[("recoup_messages_failed_total", (("channel", "email"),))] == 0
    assert m[("recoup_cycle_duration_seconds", (("org", "acme"),))] == 42
    assert m[("recoup_processes_alive", (("kind", "worker"),))] == 1
    assert m[("recoup_processes_alive", (("kind", "scheduler"),))] == 2
    assert m[("recoup_scheduler_leaders", ())] == 1
    assert m[("recoup_webhook_deliveries_failed_total", ())] == 2
    assert m[("recoup_readiness_check_ok", (("check", "worker"),))] == 1
    assert m[("recoup_metrics_source_up", (("source", "outbox"),))] == 1


def test_the_task_queue_depth_and_age_count_only_tasks_ready_now(db, client, clock, settings):
    from django_tasks_db.models import DBTaskResult

    settings.RECOUP_METRICS_TOKEN = TOKEN
    for n, run_after in enumerate((NOW - timedelta(minutes=2), NOW - timedelta(seconds=30),
                                   NOW + timedelta(hours=1))):
        DBTaskResult.objects.create(task_path="recoup.messaging.tasks.deliver_outbox", args_kwargs={},
                                    backend_name="default", run_after=run_after)
    m = _scrape(client)
    assert m[("recoup_task_queue_depth", (("queue", "default"),))] == 2
    assert m[("recoup_task_queue_oldest_age_seconds", (("queue", "default"),))] == 120


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_endpoints_answer_get_only(client, path):
    assert client.post(path).status_code in (403, 404, 405)  # not served by the health middleware
