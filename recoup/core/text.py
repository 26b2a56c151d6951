"""Text that must stay on one line (names and subjects that end up in e-mail headers).

A control character (Unicode category Cc: NUL, BEL, ESC, CR, LF, ...) or a line or paragraph
separator (U+2028, U+2029) has no place in a name: in an e-mail header a line break ends the
header (and could start another, "Bcc: ..."), and the others garble what the reader sees.
``control_characters`` finds them, so input can be refused with a clear error; ``one_line``
makes text safe to put in a header whatever it holds (each run of them, and of spaces, becomes one space).
"""

from __future__ import annotations

import re
import unicodedata

_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\s]+")


def control_characters(text: str, *, allow: str = "") -> list[str]:
    """The control characters (and line/paragraph separators) in ``text``, except those in ``allow``, in order."""
    return [c for c in text if c not in allow and (unicodedata.category(c) == "Cc" or c in "\u2028\u2029")]


def describe(chars: list[str]) -> str:
    """ "a control character (U+000A)" for refusing input; names each distinct character once."""
    seen = list(dict.fromkeys(chars))
    codes = ", ".join(f"U+{ord(c):04X}" for c in seen)
    return f"a control character ({codes})" if len(seen) == 1 else f"control characters ({codes})"


def one_line(text: str) -> str:
    """``text`` with every run of control characters, line separators and whitespace made one space, stripped."""
    return _BREAKING.sub(" ", text).strip()
