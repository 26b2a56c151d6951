"""The template editor's pages: everyone reads and previews, owners save, restore and reset; errors
show on the form with nothing saved; the preview is the message the cycle would send."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.messaging.models import TemplateVersion
from recoup.messaging.template_store import TemplateKey, shipped_wording

KEY = TemplateKey("first-reminder", "email", "en")
ARGS = ("first-reminder", "email", "en")


def url(name, org, *args):
    return reverse(name, args=[org.slug, *args])


def posted(customer=None, **changes):
    shipped = shipped_wording(KEY)
    data = {"subject": shipped.subject, "body_text": shipped.body_text, "body_html": shipped.body_html, **changes}
    if customer is not None:
        data["customer"] = str(customer.pk)
    return data


def test_everyone_reads_the_list_and_a_template_with_its_preview(as_user, org_a, ledger_a, frozen_clock):
    for role in ("owner", "collector", "viewer"):
        client = as_user(role)
        listing = client.get(url("template_list", org_a)).content.decode()
        assert "first-reminder" in listing and url("template_edit", org_a, *ARGS) in listing
        page = client.get(url("template_edit", org_a, *ARGS)).content.decode()
        assert "Preview for Northwind Traders" in page
        assert "Reminder: overdue invoice from Acme Supplies Ltd" in page  # the rendered subject
        assert "[portal link]" in page  # the links the message carries, redacted
        assert ("Save as a new version" in page) == (role == "owner")


def test_only_owners_save_restore_and_reset(as_user, org_a, ledger_a, frozen_clock):
    for role in ("collector", "viewer"):
        client = as_user(role)
        assert client.post(url("template_edit", org_a, *ARGS), posted(subject="Pay")).status_code == 403
        assert client.post(url("template_reset", org_a, *ARGS)).status_code == 403
        assert client.post(url("template_restore", org_a, *ARGS, 1)).status_code == 403
    assert not TemplateVersion.objects.exists()


def test_an_owner_saves_a_version_sees_it_in_history_and_resets(as_user, org_a, ledger_a, frozen_clock):
    client = as_user("owner")
    response = client.post(url("template_edit", org_a, *ARGS), posted(subject="Nudge from {{ org.legal_name }}"))
    assert response.status_code == 302
    page = client.get(url("template_edit", org_a, *ARGS)).content.decode()
    assert "Nudge from Acme Supplies Ltd" in page and "version 1" in page
    assert 'id="template-history"' in page and "a-owner" in page

    client.post(url("template_edit", org_a, *ARGS), posted(subject="Second wording"))
    client.post(url("template_restore", org_a, *ARGS, 1))
    assert TemplateVersion.objects.get(version=3).subject == "Nudge from {{ org.legal_name }}"

    client.post(url("template_reset", org_a, *ARGS))
    page = client.get(url("template_edit", org_a, *ARGS)).content.decode()
    assert "The shipped text is in force." in page and "Back to the shipped text" in page
    assert "Reminder: overdue invoice from Acme Supplies Ltd" in page
    assert [e.verb for e in AuditEvent.objects.filter(verb__startswith="template.").order_by("seq")] == [
        "template.saved", "template.saved", "template.restored", "template.reset"]


@pytest.mark.parametrize("changes, shown", [
    ({"body_text": "Hello {{ customer.nickname }}"}, "unknown variable “customer.nickname”"),
    ({"subject": "{% if %}"}, "syntax error"),
    ({"body_html": "{% load static %}"}, "the tag {% load %} is not allowed"),
    ({"body_text": ""}, "This field is required."),
])
def test_a_bad_template_is_shown_on_the_form_and_nothing_is_saved(as_user, org_a, ledger_a, frozen_clock,
                                                                  changes, shown):
    response = as_user("owner").post(url("template_edit", org_a, *ARGS), posted(**changes))
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert not TemplateVersion.objects.exists()


def test_the_live_preview_renders_the_typed_text_for_the_chosen_customer(as_user, org_a, ledger_a, frozen_clock):
    response = as_user("viewer").post(url("template_preview", org_a, *ARGS), posted(
        ledger_a["customer"], body_text="Dear {{ customer.name }}, {{ invoice_count }} invoice due. {{ portal_url }}"))
    page = response.content.decode()
    assert "Dear Northwind Traders, 1 invoice due." in page and "[portal link]" in page
    assert not TemplateVersion.objects.exists()
    bad = as_user("viewer").post(url("template_preview", org_a, *ARGS), posted(body_text="{{ x.y }}"))
    assert "unknown variable “x.y”" in bad.content.decode()


def test_an_unknown_template_or_another_organizations_customer_is_not_found(as_user, org_a, ledger_a, ledger_b,
                                                                           frozen_clock):
    client = as_user("owner")
    assert client.get(url("template_edit", org_a, "no-such", "email", "en")).status_code == 404
    assert client.get(url("template_edit", org_a, "first-reminder", "fax", "en")).status_code == 404
    assert client.post(url("template_preview", org_a, *ARGS), posted(ledger_b["customer"])).status_code == 200
    page = client.post(url("template_preview", org_a, *ARGS), posted(ledger_b["customer"])).content.decode()
    assert "Bolt Customer" not in page
