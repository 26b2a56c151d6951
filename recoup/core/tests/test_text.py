"""One-line text: nothing that could break an e-mail header survives ``one_line``."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from recoup.core.text import control_characters, describe, one_line


@given(st.text())
def test_one_line_leaves_no_control_character_and_no_line_break(text):
    out = one_line(text)
    assert control_characters(out) == []
    assert out.splitlines() in ([], [out])
    assert out == out.strip() and "  " not in out


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Zs"))))
def test_one_line_keeps_printable_text_as_it_is(text):
    assert one_line(text) == text.strip()


def test_it_names_what_it_finds():
    assert control_characters("Acme\r\nLtd\x00") == ["\r", "\n", "\x00"]
    assert control_characters("1 High St\nLondon", allow="\n") == []
    assert control_characters("Café – Ünïcode ok") == []
    assert describe(["\n", "\n"]) == "a control character (U+000A)"
    assert describe(["\r", "\n"]) == "control characters (U+000D, U+000A)"
    assert one_line("Acme\r\nBcc: x@y\x1b[31m") == "Acme Bcc: x@y [31m"
    assert all(unicodedata.category(c) != "Cc" for c in one_line("\x85a\x9fb"))
