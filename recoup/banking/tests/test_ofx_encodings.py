"""OFX text in the encodings banks really write: what the header says, what the memos are, and when it is unreadable."""

from __future__ import annotations

import pytest

from recoup.banking.parsers import StatementError, read_file

V1_HEADER = (b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
             b"CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n")


def body(*memos: bytes) -> bytes:
    rows = b"".join(b"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260302<TRNAMT>1.00<FITID>%d<NAME>Payer<MEMO>%s\r\n"
                    b"</STMTTRN>\r\n" % (n, memo) for n, memo in enumerate(memos, start=1))
    return (b"<OFX>\r\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n"
            b"<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>1<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n"
            b"<BANKTRANLIST><DTSTART>20260301<DTEND>20260331\r\n" + rows +
            b"</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n")


def memos(data: bytes) -> list[str]:
    [statement] = read_file("s.ofx", data)
    return [line.remittance for line in statement.lines]


def test_charset_1252_reads_the_bytes_pythons_cp1252_rejects_as_the_whatwg_standard_does():
    # 0x81, 0x8D, 0x8F, 0x90 and 0x9D are undefined in Python's cp1252; WHATWG maps them to U+0081 ...
    data = V1_HEADER + body(b"Caf\xe9 \x80 5", b"x\x81\x8d\x8f\x90\x9dy")
    assert memos(data) == ["Caf\u00e9 \u20ac 5", "x\x81\x8d\x8f\x90\x9dy"]


def test_charset_1252_with_utf8_memos_reads_them_as_utf8():
    data = V1_HEADER + body("Müller “Zahlung”".encode(), "Ærø".encode())
    assert memos(data) == ["Müller “Zahlung”", "Ærø"]


def test_an_ofx2_file_declaring_utf8_but_written_in_windows_1252_is_read():
    data = (b'<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" '
            b'OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n' + body(b"Gr\xfc\xdfe </MEMO>".replace(b" </MEMO>", b"")))
    assert memos(data) == ["Grüße"]


def test_an_ofx2_file_in_a_declared_multibyte_encoding_names_the_unreadable_line():
    data = (b'<?xml version="1.0" encoding="Shift_JIS"?>\n<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" '
            b'OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n' + body(b"ok", b"bad \x81\x20 byte"))
    with pytest.raises(StatementError) as refused:
        read_file("s.ofx", data)
    assert str(refused.value) == ("s.ofx: line 9: byte 0x81 is not shift_jis text, the encoding the file declares "
                                  "(Shift_JIS)")


def test_a_broken_header_is_still_blamed_on_the_header():
    data = V1_HEADER.replace(b"VERSION:102\r\n", b"") + body(b"x")
    with pytest.raises(StatementError, match=r"s.ofx: line 1: not an OFX header"):
        read_file("s.ofx", data)


def test_line_numbers_count_the_blank_lines_before_the_header():
    data = b"\n\n\n" + V1_HEADER + body(b"x").replace(b"</BANKACCTFROM>", b"</BANKACCTFROM>-->")
    with pytest.raises(StatementError, match=r"s.ofx: line 16: malformed OFX: Tail text '-->'"):
        read_file("s.ofx", data)


# The same fault in CSV profiles: a Windows-1252 export with a byte Python's cp1252 rejects.

def test_a_windows_1252_csv_reads_every_byte():
    from recoup.banking.parsers import BUILT_IN

    data = b'"Date","Remarque","Montant"\r\n"2012/3/22","Caf\xe9 \x81 \x80","50.00"\r\n'
    [statement] = read_file("fr.csv", data, profile=BUILT_IN["fr-cp1252"], default_currency="EUR")
    assert statement.lines[0].remittance == "Caf\u00e9 \x81 \u20ac"
    [found] = read_file("fr.csv", data, default_currency="EUR")  # found by its columns too
    assert found.lines[0].amount_minor == 5000


def test_a_csv_that_is_not_in_its_profiles_encoding_names_the_line():
    from recoup.banking.parsers import BUILT_IN

    data = b"Date,Label,Currency,Amount,Partner Name,Bank Account\n12/15/2018,x,USD,1.00,,\n12/16/2018,\xff,USD,2.00,,\n"
    with pytest.raises(StatementError, match=r"x.csv: line 3: byte 0xFF is not utf-8-sig text \(the encoding of "
                                             r"profile 'odoo-sheet-en'\)"):
        read_file("x.csv", data, profile=BUILT_IN["odoo-sheet-en"])
