"""A statement's bytes as text, in the encoding its header declares, decoded as browsers do.

Encoding labels are resolved by the WHATWG Encoding Standard (``webencodings``): ``latin1``,
``ISO-8859-1`` and ``us-ascii`` all mean windows-1252, and windows-1252 maps every byte,
including the five Python's ``cp1252`` codec rejects (0x81, 0x8D, 0x8F, 0x90, 0x9D, which
the standard maps to the control characters of the same number).

Text that is valid UTF-8 is read as UTF-8 whatever the header says: banks declare
``CHARSET:1252`` and write UTF-8 memos, while text in a single-byte code page is
practically never valid UTF-8 by accident. Text that is not valid UTF-8 although it says
so is read as windows-1252, the usual truth behind that label. Only a declared multi-byte
encoding (Shift_JIS, GBK, ...) can be truly unreadable; the error names the line.
"""

from __future__ import annotations

import codecs

import webencodings

from recoup.banking.parsers.base import StatementError

_WINDOWS_1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def _windows_1252_undefined(error: UnicodeError) -> tuple[str, int]:
    """The WHATWG mapping of the bytes Python's cp1252 leaves undefined: U+0081 for 0x81, and so on."""
    if isinstance(error, UnicodeDecodeError):
        byte = error.object[error.start]
        if byte in _WINDOWS_1252_UNDEFINED:
            return chr(byte), error.start + 1
    raise error


codecs.register_error("recoup-windows-1252", _windows_1252_undefined)


def windows_1252(data: bytes) -> str:
    return data.decode("cp1252", errors="recoup-windows-1252")


def decode_text(filename: str, data: bytes, declared: str = "", *, first_line: int = 1) -> str:
    """``data`` as text; ``declared`` is the header's label ('' when none), ``first_line`` the file line
    ``data`` starts on (for the message when it is unreadable)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encoding = webencodings.lookup(declared) if declared else None
    if encoding is None or encoding.name in ("windows-1252", "utf-8", "utf-16le", "utf-16be"):
        return windows_1252(data)
    try:
        return data.decode(encoding.codec_info.name)
    except UnicodeDecodeError as exc:
        line = first_line + data[:exc.start].count(b"\n")
        raise StatementError(filename, f"line {line}", f"byte 0x{data[exc.start]:02X} is not {encoding.name} text, "
                                                       f"the encoding the file declares ({declared})") from None
