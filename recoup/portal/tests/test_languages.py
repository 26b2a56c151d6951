"""Every string the debtor may read is translated in German, French and Spanish, and a German
debtor reads German words, amounts and dates (never an operator's English status)."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core.management import call_command
from django.utils import timezone

PORTAL = Path(__file__).resolve().parents[1]
LANGUAGES = ("de", "fr", "es")


def _untranslated(po: Path) -> list[str]:
    with po.open("rb") as f:
        catalog = read_po(f)
    missing = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(strings[:2]):
            missing.append(m.id if isinstance(m.id, str) else m.id[0])
    return missing


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_committed_catalogue_has_no_untranslated_or_fuzzy_string(lang):
    assert _untranslated(PORTAL / "locale" / lang / "LC_MESSAGES" / "django.po") == []


def test_every_string_marked_in_the_portal_is_in_each_catalogue_translated(tmp_path):
    """makemessages over a copy of the app: a string marked in a template or view and not yet in a
    catalogue comes out untranslated, and fails here."""
    copy = tmp_path / "portal"
    shutil.copytree(PORTAL, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.mo", "static"))
    here = os.getcwd()
    os.chdir(copy)
    try:
        call_command("makemessages", locale=list(LANGUAGES), no_location=True, verbosity=0)
    finally:
        os.chdir(here)
    missing = {lang: _untranslated(copy / "locale" / lang / "LC_MESSAGES" / "django.po") for lang in LANGUAGES}
    assert missing == {lang: [] for lang in LANGUAGES}


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(lang):
    """The committed .mo is compiled from the committed .po (a translation added but not compiled
    would never be shown)."""
    from babel.messages.mofile import read_mo

    folder = PORTAL / "locale" / lang / "LC_MESSAGES"
    with (folder / "django.po").open("rb") as f:
        po = {_key(m.id): _key(m.string) for m in read_po(f) if m.id}
    with (folder / "django.mo").open("rb") as f:
        mo = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert {k: v for k, v in po.items() if k not in mo or mo[k] != v} == {}


def test_a_proposed_plan_reads_in_german_with_german_amounts_and_dates(client, link_a):
    from recoup.ledger.models import Customer

    Customer.objects.filter(pk=link_a.customer.pk).update(language="de")
    first = timezone.now().date() + timedelta(days=3)
    client.post(link_a.url("portal_plan"), {"invoices": [link_a.invoice.pk], "instalments": "12",
                                            "frequency": "weekly", "first_date": first.isoformat()})
    page = client.get(link_a.url()).content.decode()
    assert "Ratenzahlung: vorgeschlagen, wartet auf unsere Entscheidung" in page
    assert "awaiting decision" not in page and "Proposed" not in page
    assert "120,00\xa0£" in page  # the open amount, in German
    assert f"{first.day:02d}.{first.month:02d}.{first.year}" in page  # the first instalment, in German
