import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from recoup.audit.models import AuditEvent
from recoup.collections.models import Pause


def call(*args):
    out = io.StringIO()
    call_command("pause", *args, stdout=out)
    return out.getvalue()


def test_it_pauses_a_customer_and_an_invoice_lists_and_lifts(org_a, make_customer, make_invoice):
    customer = make_customer(org_a, ref="C1")
    make_invoice(org_a, customer, "INV-1", "10.00")
    call("add", "C1", "--reason", "talking to their accountant", "--from", "2020-01-01")
    call("add", "C1", "--invoice", "INV-1", "--reason", "disputed delivery", "--from", "2020-01-01",
         "--until", "2999-12-31")
    listed = json.loads(call("list", "--format", "json"))
    assert {(p["customer"], p["invoice"], p["reason"]) for p in listed} == {
        ("C1", "", "talking to their accountant"), ("C1", "INV-1", "disputed delivery")}

    whole = Pause.objects.get(invoice__isnull=True)
    call("lift", str(whole.pk))
    assert [p["invoice"] for p in json.loads(call("list", "--format", "json"))] == ["INV-1"]
    assert AuditEvent.objects.filter(verb__in=["collections.paused", "collections.pause_lifted"]).count() == 3


def test_it_refuses_unknown_refs_other_organizations_and_a_missing_reason(org_a, org_b, make_customer, now):
    theirs = make_customer(org_b, ref="B1")
    make_customer(org_a, ref="C1")
    with pytest.raises(CommandError, match="no customer 'B1' in acme"):
        call("add", "B1", "--reason", "x", "--org", "acme")
    with pytest.raises(CommandError, match="a pause needs a reason"):
        call("add", "C1", "--reason", "  ", "--org", "acme")
    foreign = Pause.objects.create(org=org_b, customer=theirs, reason="theirs", starts_on=date(2026, 1, 1),
                                   created_by="t", created_at=now)
    with pytest.raises(CommandError, match=f"no pause {foreign.pk} in acme"):
        call("lift", str(foreign.pk), "--org", "acme")
    assert not Pause.objects.filter(org=org_a).exists()

