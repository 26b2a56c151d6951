"""A day's letters as one PDF for a window envelope, rendered with WeasyPrint.

Every letter starts on a new page with the recipient's address where the
envelope's window is: DIN 5008 form B on A4 (address field 20 mm from the left,
45 mm from the top, 85 x 45 mm, the first 17.7 mm for the return address),
or a US #10 envelope on US Letter (window about 2 in from the top and 7/8 in
from the left, 4 x 1.125 in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils.html import escape, linebreaks

from recoup.messaging.links import links_insert
from recoup.messaging.models import LetterBatch, Message, MessageStatus
from recoup.messaging.still_owed import ledger_overtaken

US_LETTER_COUNTRIES = {"US", "CA", "MX", "PH"}


@dataclass(frozen=True)
class Layout:
    page: str  # CSS page size
    top: str  # page margin above the letterhead
    letterhead: str  # letterhead height; top + letterhead = where the address field starts
    window_left: str
    window_width: str
    return_zone: str  # the return-address line above the address proper
    address_zone: str
    body_left: str
    body_right: str


DIN_5008_B = Layout(page="A4", top="15mm", letterhead="30mm", window_left="20mm", window_width="85mm",
                    return_zone="17.7mm", address_zone="27.3mm", body_left="25mm", body_right="20mm")
US_10 = Layout(page="letter", top="0.5in", letterhead="1.5in", window_left="0.875in", window_width="4in",
               return_zone="0.3in", address_zone="0.825in", body_left="1in", body_right="1in")


def layout_for(country: str) -> Layout:
    return US_10 if country.upper() in US_LETTER_COUNTRIES else DIN_5008_B


def layout_css(lay: Layout) -> str:
    return f"""
@page {{ size: {lay.page}; margin: {lay.top} 0 15mm 0; }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10pt; margin: 0; }}
.letter {{ break-before: page; }}
.letter:first-child {{ break-before: auto; }}
.letterhead {{ height: {lay.letterhead}; padding: 0 {lay.body_right} 0 {lay.body_left}; text-align: right; }}
.letterhead .name {{ font-size: 13pt; font-weight: bold; }}
.window {{ margin-left: {lay.window_left}; width: {lay.window_width}; overflow: hidden; }}
.return {{ height: {lay.return_zone}; font-size: 7pt; display: flex; flex-direction: column;
           justify-content: flex-end; }}
.return span {{ border-bottom: 0.5pt solid #000; }}
.address {{ height: {lay.address_zone}; font-size: 10pt; line-height: 1.2; padding-top: 1mm; }}
.body {{ margin: 8mm {lay.body_right} 0 {lay.body_left}; }}
"""


def _inner_body(html: str) -> str:
    """The content of a full HTML document's <body>, or the fragment as given."""
    match = re.search(r"<body[^>]*>(.*)</body>", html, flags=re.S | re.I)
    return match.group(1) if match else html


def letter_html(message: Message, *, links_at: datetime | None = None) -> str:
    """One letter's page(s); with ``links_at``, its portal-link placeholders filled with a fresh link
    (for the copy printed and posted), else left as stored ("[portal link]")."""
    if links_at is not None:
        links_insert(message, now=links_at)
    org = message.org
    sender = " · ".join([org.legal_name, *[ln.strip() for ln in org.address.splitlines() if ln.strip()]])
    head_lines = "<br>".join(escape(ln) for ln in org.address.splitlines() if ln.strip())
    address = "<br>".join(escape(ln.strip()) for ln in message.to_address.splitlines() if ln.strip())
    body = _inner_body(message.body_html) if message.body_html else linebreaks(message.body_text, autoescape=True)
    return (
        f'<section class="letter" data-message="{message.pk}">'
        f'<div class="letterhead"><div class="name">{escape(org.legal_name)}</div>{head_lines}</div>'
        f'<div class="window"><div class="return"><span>{escape(sender)}</span></div>'
        f'<div class="address">{address}</div></div>'
        f'<div class="body">{body}</div></section>'
    )


def batch_letters(batch: LetterBatch):
    return (Message.objects.for_org(batch.org).filter(batch=batch)
            .filter(status__in=[MessageStatus.BATCHED, MessageStatus.POSTED])
            .select_related("org", "customer").order_by("id"))


def letters_to_print(batch: LetterBatch) -> list[Message]:
    """The batch's letters, less those of an open batch whose invoices were paid since they were
    batched (``still_owed``; posting the batch withdraws them)."""
    letters = list(batch_letters(batch))
    if batch.status == "posted":
        return letters
    return [letter for letter in letters if ledger_overtaken(letter) is None]


def letter_batch_pdf(batch: LetterBatch, *, links_at: datetime | None = None) -> bytes:
    """Every letter of the batch in one PDF, each on its own page(s), in the order queued.

    ``links_at``: the copy to print, each letter with a fresh portal link made then (each such
    rendering makes new links); without it the links show as placeholders, as in the PDF kept
    when the batch is posted, which holds no working link."""
    from weasyprint import CSS, HTML

    if batch.pdf:
        return bytes(batch.pdf)  # posted: what went out, its links left as placeholders
    letters = "".join(letter_html(m, links_at=links_at) for m in letters_to_print(batch))
    html = f"<!doctype html><html><head><meta charset='utf-8'></head><body>{letters}</body></html>"
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=layout_css(layout_for(batch.org.country)))])
