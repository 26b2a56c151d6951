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



def wrap(text: str, width: int, *, whole: re.Pattern[str] | None = None,
         alone: re.Pattern[str] | None = None) -> str:
    """``text`` with every line longer than ``width`` broken at spaces, for reading on a small screen.

    A line that fits is kept as it is (aligned columns stay aligned). A broken line's continuation is
    indented under its text, past a list mark ("- ", "* ", "1. "). A word longer than ``width`` is never
    cut. What ``whole`` or ``alone`` matches (references with spaces, placeholders filled in later) is
    one word; what ``alone`` matches (links) also gets a line of its own whenever its line holds
    anything else, so that a link filled in later, longer, never makes a line too long.
    """
    patterns = [p.pattern for p in (alone, whole) if p is not None]
    keep: list[str] = []

    def hold(match: re.Match[str]) -> str:
        keep.append(match.group(0))
        return f"\x00{len(keep) - 1}\x00"

    def word_of(held: str) -> str:
        return re.sub(r"\x00(\d+)\x00", lambda m: keep[int(m.group(1))], held)

    def is_alone(word: str) -> bool:
        return bool(alone and alone.fullmatch(word))

    out: list[str] = []
    for line in text.split("\n"):
        held = re.sub("|".join(patterns), hold, line) if patterns else line
        prefix = re.match(r"[ \t]*(?:[-*\u2022]\s+|\d{1,3}[.)]\s+)?", held).group(0)
        words = [word_of(w) for w in held[len(prefix):].split(" ") if w]
        if len(line) <= width and not (len(words) > 1 and any(is_alone(w) for w in words)):
            out.append(line)
            continue
        indent, current, filled = " " * len(prefix), prefix, False
        for word in words:
            if filled and (is_alone(word) or len(current) + 1 + len(word) > width):
                out.append(current)
                current, filled = indent, False
            current += (" " if filled else "") + word
            filled = True
            if is_alone(word):
                out.append(current)
                current, filled = indent, False
        if filled:
            out.append(current)
    return "\n".join(out)
