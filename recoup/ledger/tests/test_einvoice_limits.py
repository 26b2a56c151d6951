"""E-invoice uploads are capped per file and in total (the page and ``recoup import einvoice``), an
oversized upload is never stored whole, and the XML a Factur-X PDF carries is unpacked only up to
the same cap: a small PDF whose compressed attachment unpacks to megabytes is refused, not read."""

from __future__ import annotations

import io
import tracemalloc
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.core.management import CommandError, call_command
from django.urls import reverse

from recoup.ledger.imports.einvoice import import_einvoices
from recoup.ledger.models import Invoice

GOOD_XML = "facturx/factur-x-en16931.xml"
BLANK_PDF = "facturx/MustangGnuaccountingBeispielRE-20201121_508blanko.pdf"


@pytest.fixture
def collector(client, org_a, system, now, settings, tmp_path):
    from recoup.orgs.actions import member_add

    settings.VAR_DIR, settings.MEDIA_ROOT = tmp_path, tmp_path / "media"
    client.force_login(member_add(org=org_a, username="cole", role="collector", actor=system, now=now).user)
    return client


@pytest.fixture
def stored_bytes(monkeypatch):
    """How many bytes of uploaded files reached Django's storing handlers (memory or temporary file)."""
    seen = {"bytes": 0}
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original = handler.receive_data_chunk

        def counting(self, raw_data, start, _original=original):
            seen["bytes"] += len(raw_data)
            return _original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return seen


def _post(client, org, files: list[tuple[str, bytes]]):
    return client.post(reverse("import_upload", args=[org.slug]),
                       {"einvoice": "1", "files": [SimpleUploadedFile(n, d) for n, d in files]})


def _stored(tmp_path) -> list:
    folder = tmp_path / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_a_file_over_the_cap_is_refused_by_name_and_never_stored(collector, org_a, shared_data, settings, tmp_path,
                                                                 stored_bytes):
    settings.RECOUP_EINVOICE_MAX_FILE_BYTES = 100_000
    good = (shared_data / GOOD_XML).read_bytes()
    huge = good.replace(b"</rsm:CrossIndustryInvoice>", b"<!--" + b"x" * 3_000_000 + b"--></rsm:CrossIndustryInvoice>")
    page = _post(collector, org_a, [("a.xml", good), ("huge.xml", huge)])
    assert page.status_code == 413
    html = page.content.decode()
    assert "huge.xml is larger than 0.1 MB, the most one e-invoice may be" in html
    assert stored_bytes["bytes"] < 100_000 + len(good) + 2 * 65_536  # stopped at the cap, not 3 MB later
    assert _stored(tmp_path) == [] and "recoup_einvoice_import" not in collector.session
    assert not Invoice.objects.exists()


def test_files_together_over_the_total_are_refused_naming_where_it_stopped(collector, org_a, shared_data, settings,
                                                                           tmp_path, stored_bytes):
    good = (shared_data / GOOD_XML).read_bytes()
    settings.RECOUP_EINVOICE_MAX_TOTAL_BYTES = 3 * len(good)
    files = [(f"inv{i}.xml", good.replace(b"F20260023", f"F2026{i:04d}".encode())) for i in range(1, 7)]
    page = _post(collector, org_a, files)
    assert page.status_code == 413
    html = page.content.decode()
    assert f"the files together are larger than {3 * len(good) / 1e6:g} MB, the most one upload of e-invoices " \
           "may be (it stopped at inv4.xml)" in html
    assert stored_bytes["bytes"] <= 3 * len(good) + 65_536
    assert _stored(tmp_path) == [] and not Invoice.objects.exists()


def test_files_within_the_caps_are_checked_as_before(collector, org_a, shared_data, settings, tmp_path):
    good = (shared_data / GOOD_XML).read_bytes()
    settings.RECOUP_EINVOICE_MAX_FILE_BYTES, settings.RECOUP_EINVOICE_MAX_TOTAL_BYTES = len(good), 2 * len(good)
    page = _post(collector, org_a, [("a.xml", good), ("b.xml", good.replace(b"F20260023", b"F20260024"))])
    assert page.status_code == 200 and "F20260024" in page.content.decode()
    assert len(_stored(tmp_path)) == 2


def test_the_command_refuses_a_file_over_the_cap_before_reading_it(org_a, shared_data, settings, tmp_path):
    settings.RECOUP_EINVOICE_MAX_FILE_BYTES = 100_000  # the good file is about 70 kB
    big = tmp_path / "big.xml"
    big.write_bytes((shared_data / GOOD_XML).read_bytes() + b" " * 40_000)
    with pytest.raises(CommandError, match=r"big.xml: the file is 0.1\d MB, more than the 0.1 MB one e-invoice "
                                           r"may be \(RECOUP_EINVOICE_MAX_FILE_BYTES\)"):
        call_command("import", "einvoice", str(shared_data / GOOD_XML), str(big), "--org", org_a.slug)
    assert not Invoice.objects.exists()


def test_the_command_refuses_files_together_over_the_total(org_a, shared_data, settings):
    path = shared_data / GOOD_XML
    settings.RECOUP_EINVOICE_MAX_TOTAL_BYTES = path.stat().st_size + 10
    with pytest.raises(CommandError, match=r"the files together are .* MB, more than the .* MB one import of "
                                           r"e-invoices may be \(RECOUP_EINVOICE_MAX_TOTAL_BYTES\)"):
        call_command("import", "einvoice", str(path), str(shared_data / "ubl/ubl-tc434-example1.xml"),
                     "--org", org_a.slug)
    assert not Invoice.objects.exists()


def _pdf_carrying(shared_data, xml: bytes) -> bytes:
    """A PDF with ``xml`` as its factur-x.xml, Flate-compressed as PDF writers store attachments."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(shared_data / BLANK_PDF))
    writer.add_attachment("factur-x.xml", b"placeholder")
    stream = next(writer.attachment_list)._embedded_file
    stream.set_data(b"")
    stream._data = zlib.compress(xml, 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_factur_x_pdf_whose_xml_unpacks_past_the_cap_is_refused_without_unpacking_it(org_a, shared_data, settings,
                                                                                      system, now):
    settings.RECOUP_EINVOICE_MAX_FILE_BYTES = 1_000_000
    good = (shared_data / GOOD_XML).read_bytes()
    bomb = good.replace(b"</rsm:CrossIndustryInvoice>", b"<!--" + b" " * 40_000_000 + b"--></rsm:CrossIndustryInvoice>")
    pdf = _pdf_carrying(shared_data, bomb)
    del bomb
    assert len(pdf) < 200_000  # a small file: 40 MB of XML compressed

    tracemalloc.start()
    try:
        result = import_einvoices(org=org_a, files=[("bomb.pdf", pdf)], actor=system, now=now, dry_run=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.files[0].status == "failed"
    assert result.files[0].error == ("bomb.pdf:/Root/Names/EmbeddedFiles/factur-x.xml:embedded invoice XML: "
                                     "factur-x.xml unpacks to more than 1 MB, the most one e-invoice may be")
    assert peak < 12_000_000  # never the 40 MB


def test_a_factur_x_pdf_within_the_cap_still_reads(org_a, shared_data, settings, system, now):
    settings.RECOUP_EINVOICE_MAX_FILE_BYTES = 1_000_000
    pdf = _pdf_carrying(shared_data, (shared_data / GOOD_XML).read_bytes())
    result = import_einvoices(org=org_a, files=[("ok.pdf", pdf)], actor=system, now=now, dry_run=True)
    assert result.files[0].status == "created" and result.files[0].number == "F20260023"
