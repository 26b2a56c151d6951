"""`recoup policy load|show|list`: YAML in, YAML or JSON out, and back again unchanged."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from recoup.collections.actions import policies_install_defaults
from recoup.collections.models import Policy
from recoup.collections.tests.conftest import FIVE_STEPS
from recoup.core.policy import Policy as CorePolicy


def call(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_show_output_loads_back_to_the_same_policy(org_a, tmp_path):
    source = tmp_path / "five.yaml"
    source.write_text(FIVE_STEPS)
    assert "loaded policy five-step (5 steps)" in call("policy", "load", str(source), "--default-for", "all")
    shown = call("policy", "show", "five-step")
    assert yaml.safe_load(shown)["steps"][4] == {"key": "last-notice", "name": "Last notice", "offset_days": 30,
                                                  "channels": ["email"], "template": "final-notice"}
    again = tmp_path / "again.yaml"
    again.write_text(shown)
    call("policy", "load", str(again))
    assert Policy.objects.for_org(org_a).count() == 1
    assert call("policy", "show", "five-step") == shown
    as_json = json.loads(call("policy", "show", "five-step", "--format", "json"))
    assert CorePolicy.from_dict(as_json) == CorePolicy.from_dict(yaml.safe_load(FIVE_STEPS))
    listed = json.loads(call("policy", "list", "--format", "json"))
    assert listed == [{"name": "five-step", "default_for": "all", "steps": "5",
                       "ladder": "pre-due (-3), first-reminder (+3), second-reminder (+10), final-notice (+20), "
                                 "last-notice (+30)"}]


def test_a_bad_step_is_refused_naming_the_file_and_field_and_nothing_changes(org_a, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIVE_STEPS.replace("offset_days: 10", "offset_days: 2"))
    with pytest.raises(CommandError, match=rf"{bad}: steps\[2\].offset_days: must be later than the previous"):
        call("policy", "load", str(bad))
    bad.write_text(FIVE_STEPS.replace("channels: [email]}", "channels: [fax]}", 1))
    with pytest.raises(CommandError, match=r"steps\[0\].channels\[0\]: 'fax' is not one of"):
        call("policy", "load", str(bad))
    bad.write_text("name: x\nsteps: [\n")
    with pytest.raises(CommandError, match=rf"{bad}: line \d+, column \d+: not valid YAML"):
        call("policy", "load", str(bad))
    assert not Policy.objects.exists()


def test_show_names_the_known_policies_when_asked_for_another(org_a, tmp_path):
    (tmp_path / "p.yaml").write_text(FIVE_STEPS)
    call("policy", "load", str(tmp_path / "p.yaml"))
    with pytest.raises(CommandError, match="no policy 'nope' in acme \\(known: five-step\\)"):
        call("policy", "show", "nope")


def test_the_shipped_defaults_install_for_business_and_consumers(org_a, system, now):
    business, consumer = policies_install_defaults(org=org_a, actor=system, now=now)
    assert (business.is_default, business.default_for) == (True, "business")
    assert (consumer.is_default, consumer.default_for) == (True, "consumer")
    # Installing twice replaces them by name instead of adding copies.
    policies_install_defaults(org=org_a, actor=system, now=now)
    assert Policy.objects.for_org(org_a).count() == 2


def test_policies_of_one_organization_stay_out_of_the_other(org_a, org_b, tmp_path):
    (tmp_path / "p.yaml").write_text(FIVE_STEPS)
    call("policy", "load", str(tmp_path / "p.yaml"), "--org", "bolt")
    with pytest.raises(CommandError, match="no policy 'five-step' in acme"):
        call("policy", "show", "five-step", "--org", "acme")
    assert json.loads(call("policy", "list", "--org", "acme", "--format", "json")) == []
