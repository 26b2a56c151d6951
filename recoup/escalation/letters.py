"""Letters before action: the template per kind and jurisdiction, its enclosures, and the PDF.

The letter's HTML (with each enclosure starting on a new page) is what the day's print batch
prints (``messaging.letter_pdf``); the same HTML laid out for the window envelope is kept as a
PDF with the letter and attached to its message, so what was sent can be shown later.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils.html import strip_tags

from recoup.escalation.models import ENCLOSURE_TITLES, LetterKind

TEMPLATES = {
    LetterKind.EW_LETTER_OF_CLAIM: "escalation/letters/ew_letter_of_claim.html",
    LetterKind.FINAL_DEMAND: "escalation/letters/final_demand.html",
    LetterKind.TIME_BARRED_NOTICE: "escalation/letters/time_barred_notice.html",
}
ENCLOSURE_TEMPLATES = {
    "information_sheet": "escalation/letters/ew_information_sheet.html",
    "reply_form": "escalation/letters/ew_reply_form.html",
}
SUBJECTS = {
    LetterKind.EW_LETTER_OF_CLAIM: "Letter of Claim",
    LetterKind.FINAL_DEMAND: "Final demand for payment",
    LetterKind.TIME_BARRED_NOTICE: "Notice about your unpaid account",
}


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    html: str
    text: str
    enclosures: tuple[str, ...]


def render_letter(*, kind: str, enclosures: list[str], context: dict) -> RenderedLetter:
    """The letter and its enclosures as one HTML fragment (each enclosure on a new page)."""
    context = {**context, "enclosure_titles": [ENCLOSURE_TITLES[e] for e in enclosures]}
    parts = [render_to_string(TEMPLATES[kind], context)]
    for name in enclosures:
        parts.append(render_to_string(ENCLOSURE_TEMPLATES[name], context))
    html = "\n".join(parts)
    subject = f"{SUBJECTS[kind]} ({context['customer'].ref})"
    return RenderedLetter(subject=subject, html=html, text=_text(html), enclosures=tuple(enclosures))


def _text(html: str) -> str:
    lines = [ln.strip() for ln in strip_tags(html).splitlines()]
    out: list[str] = []
    for ln in lines:
        if ln or (out and out[-1]):
            out.append(ln)
    return "\n".join(out).strip()


def letter_pdf(*, org, to_address: str, html: str) -> bytes:
    """The letter as printed for a window envelope (the print batch's own layout)."""
    from weasyprint import CSS, HTML

    from recoup.messaging.letter_pdf import layout_css, layout_for, letter_html

    stand_in = SimpleNamespace(org=org, to_address=to_address, body_html=html, body_text="", pk=0)
    page = f"<!doctype html><html><head><meta charset='utf-8'></head><body>{letter_html(stand_in)}</body></html>"
    return HTML(string=page).write_pdf(stylesheets=[CSS(string=layout_css(layout_for(org.country)))])
