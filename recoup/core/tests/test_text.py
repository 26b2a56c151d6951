"""One-line text: nothing that could break an e-mail header survives ``one_line``; ``wrap`` lays text out
for a small screen and loses nothing."""

from __future__ import annotations

import re as _re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from recoup.core.text import control_characters, describe, one_line, wrap


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


# --- wrap: plain text for a small screen ----------------------------------------------------------

_LINK = _re.compile(r"https?://\S+|\[link\]")
_REF = _re.compile(r"RF\d{2}(?: [0-9A-Z]{1,4})+")


def test_wrap_keeps_lines_that_fit_and_breaks_long_ones_at_spaces_under_their_list_mark():
    text = "Short line.\n  aligned    columns\n- " + "word " * 20 + "end"
    lines = wrap(text, 30).split("\n")
    assert lines[:2] == ["Short line.", "  aligned    columns"]
    assert lines[2].startswith("- word") and all(line.startswith("  word") or line.startswith("  end")
                                                 for line in lines[3:])
    assert all(len(line) <= 30 for line in lines)


def test_wrap_puts_each_link_on_its_own_line_and_never_splits_a_reference():
    text = "See your account: https://pay.example/p/abc then [link] and pay RF06 INV1 001 today please now"
    lines = wrap(text, 30, whole=_REF, alone=_LINK).split("\n")
    assert "https://pay.example/p/abc" in lines and "[link]" in lines
    assert any("RF06 INV1 001" in line for line in lines)


@given(st.lists(st.sampled_from(["a", "bb", "ccc", "a-very-long-word-indeed-longer-than-width", "- ", "\n",
                                   "https://x.example/long/path"]), max_size=60), st.integers(10, 40))
def test_wrap_loses_no_word_and_only_a_single_word_passes_the_width(parts, width):
    text = " ".join(parts)
    wrapped = wrap(text, width, alone=_LINK)
    assert wrapped.split() == text.split()
    for line in wrapped.split("\n"):
        # Past the width only: a line as it was written, or one word (after its list mark) too long to break.
        assert len(line) <= width or line in text.split("\n") or len(_re.sub(r"^\s*- ", "", line).split()) == 1
