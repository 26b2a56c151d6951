"""Collectors write off up to the organization's limit; owners any amount; viewers nothing."""

from __future__ import annotations

from django.urls import reverse

from recoup.ledger.models import WriteOff


def _post(client, org, invoice, amount):
    return client.post(reverse("write_off_new", args=[org.slug, invoice.pk]),
                       {"date": "2026-03-31", "amount": amount, "reason": "Small balance"})


def test_a_collector_writes_off_up_to_the_limit_and_no_more(as_user, org_a, ledger_a, frozen_clock):
    org_a.collector_write_off_limit_minor = 2500
    org_a.save(update_fields=["collector_write_off_limit_minor"])
    client = as_user("collector")
    assert _post(client, org_a, ledger_a["old"], "30.00").status_code == 403
    assert not WriteOff.objects.exists()
    assert _post(client, org_a, ledger_a["old"], "25.00").status_code == 302
    assert WriteOff.objects.get().amount_minor == 2500


def test_without_a_limit_only_owners_write_off(as_user, org_a, ledger_a, frozen_clock):
    assert _post(as_user("collector"), org_a, ledger_a["old"], "1.00").status_code == 403
    assert _post(as_user("viewer"), org_a, ledger_a["old"], "1.00").status_code == 403
    assert _post(as_user("owner"), org_a, ledger_a["old"], "100.00").status_code == 302


def test_the_owner_sets_the_limit_and_two_factor_in_settings(as_user, org_a, frozen_clock):
    client = as_user("owner")
    page = client.get(reverse("settings_org", args=[org_a.slug])).content.decode()
    assert "Collectors may write off up to" in page and "Owners sign in with a code" in page
