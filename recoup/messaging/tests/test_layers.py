"""Messaging sits below the apps that decide what to send: it imports none of them, not even inside a
function (a deferred import still ties a circle). What it needs of them comes through
``recoup.messaging.hooks``, which they register in their ``AppConfig.ready()``."""

from __future__ import annotations

from pathlib import Path

from recoup.lib.layering import app_imports, module_imports

MESSAGING = Path(__file__).resolve().parents[1]
ABOVE = {"collections", "escalation", "arrangements", "portal", "web", "api", "connections", "insight", "demo"}


def test_messaging_imports_no_app_that_sends_through_it():
    found = [f"{path}:{line} imports recoup.{app}" for path, line, app in app_imports(MESSAGING) if app in ABOVE]
    assert found == []


def test_the_actions_that_queue_import_neither_delivery_nor_its_task():
    # delivery and the channels import the actions; the way back is the delivery_requested hook.
    found = [f"actions.py:{line} imports {module}" for line, module in module_imports(MESSAGING / "actions.py")
             if module.startswith(("recoup.messaging.tasks", "recoup.messaging.delivery", "recoup.messaging.channels",
                                   "recoup.messaging.inbound"))]
    assert found == []


def test_collections_answers_every_question_delivery_asks():
    from recoup.messaging import hooks

    assert set(hooks._ONE) == {"delivery_gate", "contact_gate", "delivery_requested", "pause_for_reply",
                               "resume_after_reply"}
    assert hooks._FAILED and hooks._BLOCKED and hooks._WITHDRAWN and hooks._ELSEWHERE


def test_without_a_registered_gate_nothing_leaves(smtp, org_a, customer_a, queue, monkeypatch, now):
    from recoup.messaging import hooks
    from recoup.messaging.delivery import deliver_due

    monkeypatch.setattr(hooks, "_ONE", {k: v for k, v in hooks._ONE.items() if k != "delivery_gate"})
    message = queue(org_a, customer_a, "k1")
    report = deliver_due(now=now)
    message.refresh_from_db()
    assert (report.sent, report.retried, smtp.received) == (0, 1, [])
    assert message.status == "queued" and "no delivery_gate registered" in message.last_error
