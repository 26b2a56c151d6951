"""What the fuzzers feed and what counts as a crash (shared by tests/test_fuzz_importers.py and fuzz/run.py).

Each target takes bytes and either returns (the input was read, or refused through the
result) or raises the importer's own clear error; anything else is a crash. The database
targets also check that a refused file left nothing behind.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)

CSV_SEEDS = {
    "customers": "ref,name,email,country\nC1,Alpha Ltd,a@example.test,GB\nC2,\"Beta, Inc\",,US\n",
    "invoices": "number,customer_ref,issue_date,due_date,amount,currency\nI-1,C1,2026-01-01,2026-01-31,120.50,GBP\n",
    "payments": "customer_ref,date,amount,currency,reference,invoice_number\nC1,2026-02-01,50.00,GBP,x,I-1\n",
    "credit-notes": "number,customer_ref,date,amount,currency,invoice_number\nCN-1,C1,2026-02-02,10.00,GBP,I-1\n",
}


def shared_files(*folders: str, limit: int = 12) -> list[tuple[str, bytes]]:
    """Sample files from the shared data folder (read in place), a few per folder."""
    from conftest import shared_data_dir

    out = []
    for folder in folders:
        path = shared_data_dir() / folder
        if path.is_dir():
            out += [(p.name, p.read_bytes()) for p in sorted(path.iterdir())[:limit]
                    if p.is_file() and p.stat().st_size < 400_000]
    return out


def mutated(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """A seed with a few random edits: bytes replaced, inserted or cut, truncated, or pure noise."""
    @st.composite
    def build(draw) -> bytes:
        if not seeds or draw(st.integers(0, 9)) == 0:
            return draw(st.binary(max_size=400))
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(1, 6))):
            op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup", "text"]))
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            if op == "flip" and data:
                data[at] = draw(st.integers(0, 255))
            elif op == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=16))
            elif op == "delete":
                del data[at:at + draw(st.integers(1, 64))]
            elif op == "truncate":
                del data[at:]
            elif op == "dup":
                data[at:at] = data[at:at + draw(st.integers(1, 200))]
            else:
                data[at:at] = draw(st.sampled_from(
                    ["\x00", ",", "\"", "\n", "-1", "1e309", "NaN", "9" * 40, "2026-02-30", "€", "<", "&x;",
                     "]]>", "'", ":", "- ", "{", "!!python/object:os.system", "&a [*a, *a]", "\r\n"])).encode()
        return bytes(data)

    return build()


# Crashes reported but not fixed yet ("target": exception names): the fuzzers step over them, so
# they can find the next one. Each found crash is also a test in tests/test_fuzz_importers.py.
KNOWN_CRASHES: dict[str, tuple[str, ...]] = {}


def _known(target: str, exc: BaseException) -> bool:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return name in KNOWN_CRASHES.get(target, ())


# --- targets -------------------------------------------------------------------------------------------


# A tool's real export per preset (../shared/data/csv): (source, kind, file name).
PRESET_SEEDS = [("freshbooks", "customers", "freshbooks_clients.csv"), ("freshbooks", "invoices", "freshbooks_invoices.csv"),
                ("wave", "customers", "wave_clients.csv"), ("wave", "invoices", "wave_invoices.csv"),
                ("zoho", "invoices", "zoho_invoices.csv"), ("invoice2go", "invoices", "invoice2go_invoices.csv"),
                ("invoiceninja", "payments", "invoiceninja_v4_payments.csv")]


# Presets written from a tool's documented columns (no real export in ../shared/data/csv): a small file
# in each, as recoup/ledger/tests/test_import_presets_documented.py writes them.
_XERO_INVOICE_HEADER = ("*ContactName,EmailAddress,POAddressLine1,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,Total,"
                        "InvoiceAmountPaid,InvoiceAmountDue,*Description,*Quantity,*UnitAmount,LineAmount,Currency,Type,"
                        "Status\n")
_SAGE_AUDIT = ("Type,Account Reference,Nominal A/C Ref,Date,Reference,Details,Net Amount,Tax Code,Tax Amount\n"
               "SI,HAR001,4000,01/14/2026,1001,Beans,100.00,T1,20.00\n"
               "SI,HAR001,4010,01/14/2026,1001,Delivery,10.00,T1,2.00\n"
               "SC,HAR001,4000,01/20/2026,CN7,Damaged,10.00,T1,2.00\n"
               "SR,HAR001,1200,01/28/2026,BACS,Payment,50.00,T9,0.00\n")
DOCUMENTED_PRESET_SEEDS: dict[tuple[str, str], str] = {
    ("quickbooks", "customers"): "Bolt Widgets Inc\nCustomer Contact List\n\nCustomer,Phone Numbers,Email,Full Name,"
                                 "Billing Address\nCool Cars,555-0100,ap@coolcars.test,Grace Pello,"
                                 "\"65 Ocean Dr., Half Moon Bay, CA 94213\"\nTOTAL,,,,\n",
    ("quickbooks", "invoices"): "Bolt Widgets Inc\nInvoice List\nAll Dates\n\n"
                                "Date,Transaction Type,No.,Customer,Memo/Description,Due Date,Amount,Open Balance\n"
                                "01/15/2026,Invoice,1001,Cool Cars,Brakes,02/14/2026,\"1,200.00\",\"1,200.00\"\n"
                                "01/22/2026,Credit Memo,1003,Cool Cars,Refund,01/22/2026,(50.00),(50.00)\n"
                                "TOTAL,,,,,,\"$1,150.00\",\"$1,150.00\"\n",
    ("xero", "customers"): "*ContactName,AccountNumber,EmailAddress,FirstName,LastName,POAddressLine1,POCity,"
                           "POPostalCode,POCountry,PhoneNumber\nHarbour Cafe,HAR001,ap@harbour.test,Ann,Lee,9 Quay St,"
                           "Whitby,YO21 3PU,GB,01947 600000\n",
    ("xero", "invoices"): _XERO_INVOICE_HEADER
    + "Harbour Cafe,ap@harbour.test,9 Quay St,INV-0042,PO 7,02/03/2026,03/05/2026,240.00,40.00,200.00,Beans,2,"
      "100.00,200.00,GBP,Sales invoice,Awaiting Payment\n"
      "Harbour Cafe,ap@harbour.test,9 Quay St,INV-0042,PO 7,02/03/2026,03/05/2026,240.00,40.00,200.00,VAT,1,"
      "40.00,40.00,GBP,Sales invoice,Awaiting Payment\n",
    ("sage", "customers"): "Account Reference,Account Name,Street 1,Town,Post Code,Telephone Number,E-mail,Credit Limit\n"
                           "HAR001,Harbour Cafe,9 Quay St,Whitby,YO21 3PU,01947 600000,ap@harbour.test,\"2,500.00\"\n",
    ("sage", "invoices"): _SAGE_AUDIT,
    ("sage", "payments"): _SAGE_AUDIT,
    ("sage", "credit-notes"): _SAGE_AUDIT,
    ("zoho", "customers"): "Customer ID,Display Name,EmailID,Phone,Billing Address,Billing City,Billing Code,"
                           "Billing Country\n4600001,Harbour Cafe,ap@harbour.test,01947 600000,9 Quay St,Whitby,"
                           "YO21 3PU,United Kingdom\n",
}


# E-invoices, one seed per format the reader knows (../shared/data), so each is mutated and imported:
# (format, file under shared data, or "pdf:FILE" for the XML a PDF carries).
EINVOICE_SEEDS = [
    ("ubl-invoice", "ubl/peppol-base-example.xml"), ("ubl-credit-note", "ubl/ubl-tc434-creditnote1.xml"),
    ("cii", "ubl/cii-CII_example1.xml"), ("xrechnung-cii", "ubl/cii-XRechnung-O.xml"),
    ("facturx-en16931", "facturx/factur-x-en16931.xml"), ("facturx-basicwl", "facturx/factur-x-basicwl.xml"),
    ("facturx-minimum", "facturx/factur-x-minimum.xml"), ("zugferd-1", "facturx/zugferd-basic.xml"),
    ("facturx-extended", "pdf:facturx/EXTENDED_Fremdwaehrung_wdis_fx-pdfa4.pdf"),
    ("facturx-pdf", "facturx/EN16931_Einfach.pdf"),
]


def einvoice_seed(name: str) -> tuple[str, bytes]:
    """(file name, bytes) of an ``EINVOICE_SEEDS`` entry, read in place."""
    from conftest import shared_data_dir

    if name.startswith("pdf:"):
        from pypdf import PdfReader

        reader = PdfReader(shared_data_dir() / name[4:])
        (xml,) = [data for key, items in reader.attachments.items() if key.endswith(".xml") for data in items]
        return "extended.xml", xml
    path = shared_data_dir() / name
    return path.name.lower(), path.read_bytes()


def csv_import(org, kind: str, data: bytes, source: str = "") -> None:
    """CSV import: a result (ok or with row errors), never an exception; a refused file writes nothing."""
    from recoup.audit.actions import Actor
    from recoup.audit.models import AuditEvent
    from recoup.ledger.imports.runner import import_csv

    before = AuditEvent.objects.for_org(org).count()
    result = import_csv(org=org, kind=kind, name=f"{kind}.csv", data=data, actor=Actor.system("fuzz"), now=NOW,
                        source=source)
    if not result.ok:
        assert AuditEvent.objects.for_org(org).count() == before, "a refused CSV file wrote something"
        assert all(str(e) for e in result.errors)


def einvoice_read(name: str, data: bytes) -> None:
    from recoup.ledger.imports.einvoice.document import EInvoiceError
    from recoup.ledger.imports.einvoice.reading import read_file

    try:
        read_file(name, data)
    except EInvoiceError as exc:
        assert str(exc)


def einvoice_import(org, name: str, data: bytes) -> None:
    """E-invoice import: a per-file result; a refused file writes nothing."""
    from recoup.audit.actions import Actor
    from recoup.audit.models import AuditEvent
    from recoup.ledger.imports.einvoice.importer import import_einvoices

    before = AuditEvent.objects.for_org(org).count()
    (result,) = import_einvoices(org=org, files=[(name, data)], actor=Actor.system("fuzz"), now=NOW).files
    if result.status == "failed":
        assert AuditEvent.objects.for_org(org).count() == before, "a refused e-invoice wrote something"


def statement_read(name: str, data: bytes) -> None:
    from recoup.banking.parsers import StatementError, read_file

    try:
        read_file(name, data, default_currency="EUR")
    except StatementError as exc:
        assert str(exc)
    except Exception as exc:
        if not _known("statement", exc):
            raise


def statement_import(org, name: str, data: bytes) -> None:
    """Bank statement import: a result or BankingError, never another exception; a refused file writes nothing.
    An account the file names that is not the organization's is confirmed, as the operator would, so the
    import goes on to write."""
    from recoup.audit.actions import Actor
    from recoup.audit.models import AuditEvent
    from recoup.banking.actions import BankingError
    from recoup.banking.errors import UnknownAccount
    from recoup.banking.models import BankAccount, Statement, StatementLine
    from recoup.banking.tests.builders import import_confirmed

    def import_statement(**kwargs):
        try:
            return import_confirmed(**kwargs)
        except UnknownAccount:
            raise AssertionError("an account confirmed by the operator was refused") from None

    def counts() -> tuple[int, ...]:
        return tuple(m.objects.for_org(org).count() for m in (AuditEvent, BankAccount, Statement, StatementLine))

    before = counts()
    try:
        import_statement(org=org, file_name=name, data=data, actor=Actor.system("fuzz"), now=NOW)
    except BankingError as exc:
        assert str(exc)
        assert counts() == before, "a refused statement file wrote something"


def zip_of(members: list[tuple[str, bytes]], *, declared: int | None = None, damage: int | None = None) -> bytes:
    """A zip of these members; ``declared`` overwrites the first member's unpacked size in the central
    directory (a zip that lies), ``damage`` flips one byte of the stored data (a bad CRC)."""
    import io
    import struct
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    data = bytearray(out.getvalue())
    if declared is not None and b"PK\x01\x02" in data:
        at = bytes(data).index(b"PK\x01\x02") + 24
        data[at:at + 4] = struct.pack("<I", declared % 2**32)
    if damage is not None and members and members[0][1]:
        at = 30 + len(members[0][0].encode()) + damage % len(members[0][1])
        data[at] ^= 0xFF
    return bytes(data)


def statement_zips(seeds: list[tuple[str, bytes]]) -> st.SearchStrategy[bytes]:
    """Zips of statement files: plain, nested (a zip in the zip), lying about their size, or damaged."""
    @st.composite
    def build(draw) -> bytes:
        members = draw(st.lists(st.sampled_from(seeds), min_size=1, max_size=3, unique_by=lambda m: m[0]))
        if draw(st.booleans()):
            members = [*members, ("inner.zip", zip_of(members))]
        declared = draw(st.one_of(st.none(), st.sampled_from([0, 1, 100, 2**20, 2**31, 2**32 - 1])))
        damage = draw(st.one_of(st.none(), st.integers(0, 10_000)))
        return zip_of(members, declared=declared, damage=damage)

    return build()


def policy_parse(data: bytes) -> None:
    from recoup.collections.actions import CollectionsError, parse_policy

    try:
        parse_policy(data.decode("utf-8", errors="replace"))
    except CollectionsError as exc:
        assert str(exc)


def rule_file_load(name: str, data: bytes) -> None:
    from recoup.core.rules import RuleFileError, load_rule_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            load_rule_file(path)
        except RuleFileError as exc:
            assert str(exc)
        except Exception as exc:
            if not _known("rules", exc):
                raise


def rate_book_load(data: bytes) -> None:
    from recoup.core.rules import RuleFileError, load_rate_book

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rates.yaml"
        path.write_bytes(data)
        try:
            load_rate_book(path)
        except RuleFileError as exc:
            assert str(exc)
        except Exception as exc:
            if not _known("rules", exc):
                raise


def policy_seeds() -> list[bytes]:
    return [p.read_bytes() for p in sorted((ROOT / "recoup/collections/default_policies").glob("*.yaml"))]


def rule_seeds() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted((ROOT / "recoup/rules").glob("*.yaml")) if p.name != "rates.yaml"]


def rate_seeds() -> list[bytes]:
    return [(ROOT / "recoup/rules/rates.yaml").read_bytes()]
