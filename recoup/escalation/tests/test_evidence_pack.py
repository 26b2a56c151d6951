"""The evidence pack read back with pypdf: every invoice, every contact, the index's page numbers."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

from pypdf import PdfReader

from recoup.escalation.evidence import EvidenceError, evidence_files, gather
from recoup.escalation.tests.conftest import CONTACTS, at
from recoup.messaging.models import Message

import pytest

ON = date(2026, 3, 31)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    """Text without whitespace: pypdf splits kerned pairs ("T exted")."""
    return re.sub(r"\s+", "", text)


def index_entries(first_page: str) -> list[tuple[str, int]]:
    text = first_page.split("Index", 1)[1]
    return [(m.group(1).strip(), int(m.group(2))) for m in re.finditer(r"^(.+?)\s*page (\d+)\s*$", text, re.M)]


def test_the_pack_holds_every_invoice_contact_and_a_true_index(account, org_a):
    from recoup.arrangements.models import PlanStatus

    assert account.plan.status == PlanStatus.BROKEN
    result, zipped = evidence_files(org=org_a, customer=account.customer, on=ON, now=at(ON, 12))
    pages = pages_text(result.pdf)
    whole = "\n".join(pages)
    assert len(pages) == result.page_count

    for number in ("INV-101", "INV-102", "INV-103"):
        assert f"Invoice {number}" in whole
    assert "ORIGINAL PDF OF INV-101" in whole  # the stored PDF, merged in

    messages = Message.objects.for_org(org_a).filter(customer=account.customer)
    assert messages.count() >= 12
    for day, hour, minute, channel, _, summary in CONTACTS:
        label = {"email": "E-mail", "sms": "SMS", "letter": "Letter", "call": "Call"}[channel]
        # Europe/London is UTC in winter: the times show as logged.
        assert f"{day.isoformat()} {hour:02d}:{minute:02d} GMT | {label}" in whole, (day, channel)
        assert squash(summary) in squash(whole)
    for m in messages:
        assert m.get_channel_display() in whole and m.created_at.date().isoformat() in whole

    assert "Broken" in whole and "Payment plan #" in whole
    assert "The coffee machine was faulty." in whole and "Rejected" in whole
    assert "Our engineer found the machine working on site." in whole

    entries = index_entries(pages[0])
    titles = [t for t, _ in entries]
    assert titles[:4] == ["Summary", "Timeline", "Statement of account", "Invoices"]
    assert {"Invoice INV-101", "Invoice INV-102", "Invoice INV-103", "Communication log",
            "Disputes and their outcome", "Audit records"} <= {t.replace("T erms", "Terms") for t in titles}
    for title, page in entries:
        heading = "Evidence pack" if title == "Summary" else title
        assert squash(heading) in squash(pages[page - 1]), f"{title!r} is not on page {page}"
    assert [s.page for s in result.sections] == [page for _, page in entries]
    pages_of = dict(entries)
    # The stored PDF sits on the page after its invoice's own page, within the numbering.
    assert "ORIGINAL PDF OF INV-101" in pages[pages_of["Invoice INV-101"]]
    assert f"Page {pages_of['Communication log']} of {len(pages)}" in pages[pages_of["Communication log"] - 1]

    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        names = set(zf.namelist())
        assert {"invoices/INV-101.pdf", "communication-log.csv", "manifest.json",
                f"evidence-C100-{ON.isoformat()}.pdf"} <= names
        manifest = json.loads(zf.read("manifest.json"))
        assert {f["file"] for f in manifest["files"]} == names - {"manifest.json"}
        assert zf.read("invoices/INV-101.pdf").startswith(b"%PDF-")


def test_a_pack_for_chosen_invoices_and_an_unknown_number(account, org_a):
    context, sections, stored, _ = gather(org=org_a, customer=account.customer, on=ON, now=at(ON, 12),
                                          invoice_numbers=["INV-102"])
    assert [row["inv"].number for row in context["invoices"]] == ["INV-102"]
    assert "Invoice INV-101" not in [s.title for s in sections] and not stored
    with pytest.raises(EvidenceError, match="INV-999"):
        gather(org=org_a, customer=account.customer, on=ON, now=at(ON, 12), invoice_numbers=["INV-999"])


def test_another_organizations_customer_is_refused(account, org_b):
    with pytest.raises(EvidenceError):
        gather(org=org_b, customer=account.customer, on=ON, now=at(ON, 12))
