"""``recoup messages list``: what waits in the outbox and what was sent, received or logged, from the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recoup.audit.actions import Actor
from recoup.messaging.actions import contact_log


def listed(*args) -> list[dict]:
    out = io.StringIO()
    call_command("messages", "list", "--org", "acme", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_lists_the_outbox_and_the_log_newest_first_with_who_made_each(
        customer_a, queue, org_a, org_b, make_customer, now):
    waiting = queue(org_a, customer_a, "r1", attachments=[("INV-1.pdf", "application/pdf", b"%PDF-1.4 x")])
    other = make_customer(org_a, ref="C002", name="Two Ltd")
    call = contact_log(org=org_a, customer=other, channel="call", direction="out", summary="Promised Friday",
                       at=now + timedelta(minutes=5), actor=Actor(kind="user", label="olga"),
                       now=now + timedelta(minutes=5))
    queue(org_b, make_customer(org_b, ref="C001", name="Theirs"), "b1", to_address="b@bolt.example")

    rows = listed()
    assert [(r["id"], r["customer"], r["status"], r["who"]) for r in rows] == [
        (call.pk, "C002", "done", "manual · olga"), (waiting.pk, "C001", "queued", "manual · test")]
    assert rows[1]["attachments"] == ["INV-1.pdf"] and rows[1]["to"] == "pat@customer.example"
    assert [r["id"] for r in listed("--customer", "C001")] == [waiting.pk]
    assert [r["id"] for r in listed("--status", "queued", "--status", "failed")] == [waiting.pk]
    assert [r["id"] for r in listed("--channel", "call")] == [call.pk]
    out = io.StringIO()
    call_command("messages", "list", "--org", "acme", "--format", "csv", stdout=out)
    assert next(csv.reader(io.StringIO(out.getvalue()))) == \
        ["id", "created_at", "customer", "channel", "direction", "status", "to", "summary", "who"]


def test_it_names_a_customer_it_does_not_know(org_a, org_b, make_customer):
    make_customer(org_b, ref="B1")
    with pytest.raises(CommandError, match="--customer: no customer 'B1' in acme"):
        listed("--customer", "B1")
