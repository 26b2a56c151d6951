"""Contact restrictions: set and lift them (action and ``recoup restrict``), and the gate reads them."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone

import pytest
from django.core.management import CommandError, call_command

from recoup.audit.models import AuditEvent
from recoup.collections.gate import contact_gate
from recoup.compliance.actions import ComplianceError, restriction_set
from recoup.compliance.models import ContactRestriction

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def ask(org, customer, at=NOON):
    return contact_gate(org=org, customer=customer, channel="letter", step_key="first-reminder",
                        on=at.date(), now=at)


def test_breathing_space_lasts_sixty_days_unless_told_and_can_be_lifted(org_a, make_customer, system):
    customer = make_customer(org_a, kind="consumer")
    [row] = restriction_set(org=org_a, customer=customer, kind="breathing_space", starts_on=date(2026, 3, 1),
                            actor=system, now=NOON, note="IS ref BS-123")
    assert row.ends_on == date(2026, 4, 29)
    answer = ask(org_a, customer)
    assert (answer.verdict, answer.rule_id) == ("defer", "GB.breathing-space")
    restriction_set(org=org_a, customer=customer, kind="breathing_space", starts_on=date(2026, 3, 1), lift=True,
                    actor=system, now=NOON)
    assert ask(org_a, customer).allowed
    assert list(AuditEvent.objects.filter(verb__startswith="restriction.").values_list("verb", flat=True)
                .order_by("id")) == ["restriction.set", "restriction.lifted"]


def test_setting_a_kind_again_replaces_its_dates(org_a, make_customer, system):
    customer = make_customer(org_a)
    restriction_set(org=org_a, customer=customer, kind="cease_contact", starts_on=date(2026, 3, 1), actor=system,
                    now=NOON)
    restriction_set(org=org_a, customer=customer, kind="cease_contact", starts_on=date(2026, 3, 5), actor=system,
                    now=NOON)
    live = ContactRestriction.objects.for_org(org_a).filter(lifted_at__isnull=True)
    assert list(live.values_list("starts_on", flat=True)) == [date(2026, 3, 5)]
    assert ask(org_a, customer).rule_id == "house.cease-contact"


def test_bad_input_and_other_organizations_are_refused(org_a, org_b, make_customer, system):
    mine, theirs = make_customer(org_a), make_customer(org_b)
    with pytest.raises(ComplianceError, match="kind"):
        restriction_set(org=org_a, customer=mine, kind="bankrupt", starts_on=date(2026, 3, 1), actor=system, now=NOON)
    with pytest.raises(ComplianceError, match="until"):
        restriction_set(org=org_a, customer=mine, kind="attorney", starts_on=date(2026, 3, 1),
                        ends_on=date(2026, 2, 1), actor=system, now=NOON)
    with pytest.raises(ComplianceError, match="does not belong"):
        restriction_set(org=org_a, customer=theirs, kind="deceased", starts_on=date(2026, 3, 1), actor=system,
                        now=NOON)
    with pytest.raises(ComplianceError, match="no deceased restriction"):
        restriction_set(org=org_a, customer=mine, kind="deceased", starts_on=date(2026, 3, 1), lift=True,
                        actor=system, now=NOON)
    assert not ContactRestriction.objects.exists()


def test_the_command_sets_and_lifts(org_a, org_b, make_customer, monkeypatch):
    from django.utils import timezone as dj_timezone

    monkeypatch.setattr(dj_timezone, "now", lambda: NOON)
    customer = make_customer(org_a, ref="C042")
    make_customer(org_b, ref="C042")
    out = io.StringIO()
    call_command("restrict", "C042", "insolvency", "--org", "acme", "--note", "CVL 2026/17", "--format", "json",
                 stdout=out)
    assert json.loads(out.getvalue()) == [{"customer_ref": "C042", "kind": "insolvency", "starts_on": "2026-03-10",
                                           "ends_on": None, "lifted": False}]
    assert ask(org_a, customer).rule_id == "house.insolvency"
    assert not ContactRestriction.objects.for_org(org_b).exists()
    out = io.StringIO()
    call_command("restrict", "C042", "insolvency", "--org", "acme", "--lift", stdout=out)
    assert "lifted" in out.getvalue() and ask(org_a, customer).allowed
    with pytest.raises(CommandError, match="no customer 'C999'"):
        call_command("restrict", "C999", "deceased", "--org", "acme")
