"""Uploads that try too much: zips inside zips, damaged or lying zips, too many bytes, files or lines."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from datetime import date

import pytest

from recoup.banking.parsers import Limits, StatementError, read_file
from recoup.banking.tests.builders import Entry, camt053

STATEMENT = camt053([Entry("12.50", date(2026, 4, 1), name="Alpha", text="INV-1")])


def zipped(*members: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def with_declared_size(data: bytes, size: int) -> bytes:
    """The zip with its (first) central directory entry claiming ``size`` unpacked bytes."""
    at = data.index(b"PK\x01\x02") + 24
    return data[:at] + struct.pack("<I", size) + data[at + 4:]


def refusal(data: bytes, name: str = "up.zip", **kw) -> str:
    with pytest.raises(StatementError) as refused:
        read_file(name, data, **kw)
    return str(refused.value)


def test_a_zip_of_statements_reads_every_member_in_name_order():
    other = camt053([Entry("3.00", date(2026, 4, 2))], statement_id="STMT-2")
    statements = read_file("up.zip", zipped(("b.xml", other), ("a.xml", STATEMENT)))
    assert [s.statement_id for s in statements] == ["STMT-1", "STMT-2"]


def test_a_zip_inside_a_zip_is_refused_naming_it():
    nested = zipped(("inner.zip", zipped(("s.xml", STATEMENT))))
    assert refusal(nested) == ("up.zip/inner.zip: a zip archive inside the zip: archives inside archives are not "
                               "read; unpack it and upload the statements it holds")


def test_a_gzip_inside_a_zip_and_a_gzip_alone_are_refused():
    assert "a gzip archive inside the zip" in refusal(zipped(("s.xml.gz", gzip.compress(STATEMENT))))
    assert refusal(gzip.compress(STATEMENT), "s.xml.gz") == (
        "s.xml.gz: a gzip file: upload the statement itself, or a zip of statements")


def test_a_member_with_a_bad_crc_is_refused_naming_it():
    data = bytearray(zipped(("s.xml", STATEMENT), method=zipfile.ZIP_STORED))
    at = bytes(data).index(b"Alpha")
    data[at] = ord("B")
    message = refusal(bytes(data))
    assert message.startswith("up.zip/s.xml: the file is damaged in the zip (Bad CRC-32 for file 's.xml')")


def test_a_member_larger_than_it_declares_is_refused_as_damaged():
    data = with_declared_size(zipped(("s.xml", STATEMENT)), 100)
    assert refusal(data).startswith("up.zip/s.xml: the file is damaged in the zip (Bad CRC-32")


def test_a_zip_declaring_a_huge_size_is_refused_before_unpacking():
    data = with_declared_size(zipped(("s.xml", STATEMENT)), 2**32 - 1)
    assert refusal(data) == "up.zip: the zip says it unpacks to 4096.0 MB, more than the 50.0 MB one upload may hold"


def test_the_unpacked_bytes_of_all_members_together_are_capped():
    big = STATEMENT.replace(b"INV-1", b"INV-1 " + b"x" * 6000)
    data = zipped(("a.xml", big), ("b.xml", big))
    assert len(data) < 3000 and read_file("up.zip", data, limits=Limits(max_unzipped=2 * len(big)))
    assert f"unpacks to {2 * len(big):,} bytes, more than the {2 * len(big) - 1:,} bytes one upload may hold" in \
        refusal(data, limits=Limits(max_unzipped=2 * len(big) - 1))


def test_too_many_members_are_refused():
    data = zipped(*[(f"s{i}.xml", STATEMENT) for i in range(4)])
    assert refusal(data, limits=Limits(max_files=3)) == "up.zip: the zip holds 4 files, more than the 3 one upload may hold"


def test_too_many_statement_lines_in_one_upload_are_refused():
    data = zipped(("a.xml", STATEMENT), ("b.xml", camt053([Entry("1.00", date(2026, 4, 2))] * 2, statement_id="B")))
    assert len(read_file("up.zip", data, limits=Limits(max_lines=3))) == 2
    assert refusal(data, limits=Limits(max_lines=2)) == (
        "up.zip: more than 2 statement lines in one upload; import the statements in smaller files")


def test_an_upload_larger_than_the_limit_is_refused_unread():
    assert refusal(STATEMENT, "s.xml", limits=Limits(max_upload=100)).startswith("s.xml: the file is 0.0 MB, more than")


def test_an_encrypted_member_is_refused():
    data = bytearray(zipped(("s.xml", STATEMENT)))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = bytes(data).index(signature) + offset
        data[at] |= 0x1
    assert refusal(bytes(data)) == "up.zip/s.xml: the file is encrypted in the zip; upload it without a password"


@pytest.mark.parametrize("data", [b"PK\x03\x04broken", b"PK\x05\x06" + b"\x00" * 18])
def test_a_broken_or_empty_zip_is_a_clear_error(data):
    assert refusal(data).startswith(("up.zip: not a readable zip file", "up.zip: the zip file is empty"))
