"""The Bank page's question about a statement's account: the upload waits (and only then) until the
operator answers; each answer removes it; a forged or stale answer imports nothing. Uploads past the
limit are not received."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recoup.banking.models import BankAccount, Statement
from recoup.banking.tests.builders import Entry, camt053
from recoup.ledger.tests.test_einvoice_limits import stored_bytes  # noqa: F401 - a fixture: bytes Django stored

FOREIGN = "GB29NWBK60161331926819"
DATA = camt053([Entry("12.00", date(2026, 4, 1), name="Alpha", text="x")], iban=FOREIGN)


@pytest.fixture
def client_as(client, org_a, system, now, settings, tmp_path):
    from recoup.orgs.actions import member_add

    settings.VAR_DIR = tmp_path

    def login(role: str):
        client.force_login(member_add(org=org_a, username=f"u-{role}", role=role, actor=system, now=now).user)
        return client

    return login


def waiting(tmp_path) -> list:
    folder = tmp_path / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def upload(client, data=DATA, name="other.xml"):
    return client.post("/o/acme/bank/", {"file": SimpleUploadedFile(name, data)})


def test_a_foreign_statement_waits_for_an_answer_and_dont_import_removes_it(client_as, org_a, tmp_path):
    client = client_as("collector")
    page = upload(client)
    html = page.content.decode()
    assert page.status_code == 200 and "Is this Acme Supplies Ltd's account?" in html
    assert "GB29 NWBK 6016 1331 9268 19" in html and "none yet" in html
    [token] = waiting(tmp_path)
    assert client.session["recoup_statement_pending"]["accounts"] == [FOREIGN]
    answer = client.post("/o/acme/bank/confirm-account/", {"token": token, "cancel": "1"}, follow=True)
    assert "other.xml was not imported" in answer.content.decode()
    assert waiting(tmp_path) == [] and not Statement.objects.exists() and not BankAccount.objects.exists()


def test_confirming_imports_the_waiting_bytes_and_removes_them(client_as, org_a, tmp_path):
    client = client_as("collector")
    upload(client)
    [token] = waiting(tmp_path)
    answer = client.post("/o/acme/bank/confirm-account/", {"token": token, "confirm": "1"}, follow=True)
    assert "other.xml: 1 line(s) imported" in answer.content.decode()
    assert waiting(tmp_path) == []
    assert Statement.objects.for_org(org_a).get().account.iban == FOREIGN
    again = client.post("/o/acme/bank/confirm-account/", {"token": token, "confirm": "1"}, follow=True)
    assert "no longer waiting" in again.content.decode() and Statement.objects.count() == 1


def test_a_second_question_replaces_the_first_upload(client_as, tmp_path):
    client = client_as("collector")
    upload(client)
    first = waiting(tmp_path)
    upload(client, camt053([Entry("13.00", date(2026, 4, 2))], iban=FOREIGN), name="later.xml")
    assert len(waiting(tmp_path)) == 1 and waiting(tmp_path) != first


def test_a_forged_answer_imports_nothing(client_as, tmp_path):
    client = client_as("owner")
    upload(client)
    page = client.post("/o/acme/bank/confirm-account/", {"token": "x" * 32 + ".statement"}, follow=True)
    assert "no longer waiting" in page.content.decode() and not Statement.objects.exists()


def test_a_viewer_cannot_answer(client_as, tmp_path):
    upload(client_as("collector"))
    [token] = waiting(tmp_path)
    assert client_as("viewer").post("/o/acme/bank/confirm-account/", {"token": token}).status_code == 403
    assert not Statement.objects.exists()


def test_a_statement_upload_past_the_limit_is_not_received(client_as, settings, stored_bytes):
    settings.RECOUP_STATEMENT_MAX_UPLOAD_MB = 1
    page = upload(client_as("collector"), b" " * (3 * 2**20), name="big.xml")
    assert page.status_code == 413
    assert "The file is larger than the 1 MB one upload may be." in page.content.decode()
    assert stored_bytes["bytes"] <= 2**20 + 65_536  # stopped at the limit, not 3 MB later
