"""Net days from a payment terms text (BT-20), when a document gives no due date.

Pure. Understands the common phrasings in English, German, French, Dutch and
the Scandinavian languages: "30 days net", "Net 30", "Payment within 30 days",
"30 dagar netto", "Zahlbar innerhalb 30 Tagen netto", "à 30 jours",
"Zahlbar sofort". A clause about an early-payment discount ("2 % discount if
paid within 10 days", "3% Skonto innerhalb 10 Tagen") never sets the net days.
"""

from __future__ import annotations

import re

_DAY_WORDS = r"(?:days?|dagar|dage|dager|tage[n]?|jours?|dagen|dni|giorni|días|dias)"
_DAYS = re.compile(rf"(?<![\d.,])(\d{{1,3}})\s*{_DAY_WORDS}\b", re.IGNORECASE)
_NET_FIRST = re.compile(r"\b(?:net|netto|netto kassa|n)\s*/?\s*(\d{1,3})\b", re.IGNORECASE)
_DISCOUNT = re.compile(r"discount|skonto|escompte|rabatt|korting|remise|rabat", re.IGNORECASE)
_IMMEDIATE = re.compile(r"\b(?:due on receipt|upon receipt|immediately|sofort|à réception|a reception|"
                        r"dès réception|omgående|umiddelbart|direct)\b", re.IGNORECASE)


def net_days_from_text(text: str) -> int | None:
    """Days after the issue date the text allows, or None when it says nothing we can read.

    Args: text: the payment terms as written on the document.
    Returns: the number of days (0 for "due on receipt"), the largest one named
        outside discount clauses; None when none is found.
    """
    found: list[int] = []
    for clause in re.split(r"[,;.\n]+(?!\d)|\s+-\s+", text):
        if not clause.strip() or _DISCOUNT.search(clause):
            continue
        found += [int(m) for m in _DAYS.findall(clause)]
        found += [int(m) for m in _NET_FIRST.findall(clause)]
        if not found and _IMMEDIATE.search(clause):
            found.append(0)
    return max(found) if found else None
