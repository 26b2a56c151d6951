"""A printed letter carries a working portal link; the copies a viewer or the archive can read do not."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from recoup.audit.actions import Actor
from recoup.ledger.models import Contact
from recoup.messaging.actions import letter_batch_mark_posted, message_queue
from recoup.messaging.delivery import deliver_due
from recoup.messaging.links import PORTAL_LINK
from recoup.portal.selectors import token_lookup

ADDRESS = "Pat Payer\nNorthwind Traders\n2 Low Road\nLeeds\nLS1 1AA"
LINK = re.compile(r"/p/([A-Za-z0-9_-]{20,100})/")


@pytest.fixture
def batch(org_a, ledger_a, system, now, settings):
    settings.RECOUP_BASE_URL = "https://pay.acme.example"
    customer = ledger_a["customer"]
    contact = Contact.objects.create(org=org_a, customer=customer, name="Pat Payer", postal_address=ADDRESS)
    letter = message_queue(org=org_a, customer=customer, contact=contact, channel="letter", to_address=ADDRESS,
                           subject="Final notice", body_text=f"Please pay invoice A-1.\n\nOnline: {PORTAL_LINK}",
                           idempotency_key="letter-1", actor=system, now=now)
    deliver_due(now=now)
    letter.refresh_from_db()
    return letter.batch


def pdf_links(pdf: bytes) -> list[str]:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    return LINK.findall(text)


def test_a_collector_prints_letters_with_a_working_link_a_viewer_and_the_archive_get_the_placeholder(
        as_user, org_a, batch, frozen_clock):
    pdf_url = reverse("worklist_batch_pdf", args=[org_a.slug, batch.pk])

    printed = as_user("collector").get(pdf_url).content
    [secret] = pdf_links(printed)
    assert token_lookup(secret=secret, now=frozen_clock) is not None

    seen = as_user("viewer").get(pdf_url).content
    assert pdf_links(seen) == []
    assert "[portal link]" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(seen)).pages)

    posted = letter_batch_mark_posted(org=org_a, batch=batch, actor=Actor.system("test"), now=frozen_clock)
    assert pdf_links(bytes(posted.pdf)) == []  # the copy kept once posted holds no working link

