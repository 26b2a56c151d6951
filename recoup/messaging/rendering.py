"""Render a collections message (e-mail, SMS, letter, call script) from its templates.

Templates live under ``messaging/<template>/<channel>/<language>/`` in the
app's template folder (so a project-level template folder can override any of
them): ``subject.txt`` (e-mail), ``body.txt`` (every channel) and ``body.html``
(e-mail and letter; a letter's HTML is the letter's content, the letter
channel adds the address window and the page layout). Shared pieces (invoice
table, totals, how to pay, ...) are includes under ``messaging/_includes/``.

Everything the templates show is computed here and handed over formatted in
the message's language (amounts with Babel through ``format_money``, dates
with Babel); the templates only lay it out. Text is rendered with
autoescaping off, HTML with it on.

An organization may word a template its own way (the template editor: ``template_store``); that
wording, checked by ``template_sandbox``, renders here in place of the shipped files, so every
message, preview and sending alike, goes through this one renderer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from babel import localedata
from babel.dates import format_date
from babel.numbers import format_percent
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from stdnum import iban as iban_numbers

from recoup.core.money import format_money, from_minor
from recoup.core.rf import payment_reference
from recoup.core.terms import discount_deadline, early_payment_discount
from recoup.core.text import wrap
from recoup.messaging.links import PORTAL_LINK, PREFERENCES_LINK
from recoup.messaging.send_dates import MARKER, delivery_marker
from recoup.messaging.template_sandbox import TemplateRejected, compile_override
from recoup.messaging.template_store import TemplateKey, Wording, current_override

LANGUAGES = ("en", "de", "fr", "es")
FALLBACK_LANGUAGE = "en"
CHANNELS = ("email", "sms", "letter", "call")
_HTML_CHANNELS = ("email", "letter")
# Every SMS carries an opt-out (Reg F 1006.6(e), PECR reg. 22): added where the template has none.
SMS_OPT_OUT = {"en": "Reply STOP to opt out.", "de": "Abmelden: STOP antworten.",
               "fr": "STOP pour ne plus recevoir.", "es": "Responda STOP para darse de baja."}
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# An e-mail's plain-text part is read on phones (``email_text``): lines broken at this width, links on
# lines of their own, payment references never broken.
TEXT_WIDTH = 78
_LINKS = re.compile("|".join([r"https?://\S+", re.escape(PORTAL_LINK), re.escape(PREFERENCES_LINK)]))
_UNBROKEN = re.compile("|".join([MARKER.pattern, r"RF\d{2}(?: [0-9A-Z]{1,4})+"]))
_OWN_SUBJECT = re.compile(r"""\{%\s*include\s+(["'])\./subject\.txt\1\s*%\}""")
# Deadlines the texts name as dates: "please pay by ..." (reminders and final
# notice) and "respond by ..." (letter before action, the usual 14 days).
PAY_WITHIN_DAYS = 7
RESPOND_WITHIN_DAYS = 14


@dataclass(frozen=True)
class RenderedMessage:
    """A rendered message: ``subject`` (e-mail only, else ""), plain ``text``, ``html`` ("" for SMS and calls)."""

    subject: str
    text: str
    html: str


class TemplateMissing(LookupError):
    """No template exists for this template name and channel (in any language)."""


class TemplateInvalid(TemplateMissing):
    """The organization's wording of the template cannot be used (``template_sandbox``)."""


def available_languages() -> tuple[str, ...]:
    """The languages every default template is written in."""
    return LANGUAGES


def render_message(*, org, customer, invoices: Sequence, template: str, channel: str,
                   language: str | None, on: date, portal_url: str = "",
                   preferences_url: str = "", pay_by_from_delivery: bool = False,
                   wording: Wording | None = None) -> RenderedMessage:
    """Render one consolidated message listing ``invoices`` for ``customer``.

    Args:
        org: the Organization sending it; customer: the ledger Customer.
        invoices: the ledger Invoices the message lists (any order; shown by due
            date, then number). Their ``charges`` are read (prefetch them for bulk work).
        template: template name, e.g. "first-reminder"; channel: one of CHANNELS.
        language: wanted language, or None for the customer's, else the
            organization's locale language, else English. A template missing in
            that language falls back to English.
        on: the day the message is for (days overdue, discounts, deadlines).
        portal_url, preferences_url: links shown when given.
        pay_by_from_delivery: render "pay by" as a marker that delivery fills in with the date
            counted from the day the message leaves (``send_dates``), for messages that may wait in
            the outbox; otherwise counted from ``on`` (previews).
        wording: the text to render instead of the template's (an unsaved edit, for its preview);
            by default the organization's own wording in force, else the shipped files.
    Returns: the RenderedMessage.
    Raises: TemplateMissing naming the template path when the template does not
        exist for this channel; TemplateInvalid when the wording fails ``template_sandbox``;
        ValueError for a malformed template or channel name.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    if not isinstance(template, str) or not _NAME.fullmatch(template):
        raise ValueError(f"template: {template!r} is not a template name (lower-case letters, digits, dashes)")
    lang = choose_language(language, customer, org)
    folder = _template_folder(template, channel, lang)
    lang = folder.rsplit("/", 1)[1]
    context = message_context(org=org, customer=customer, invoices=invoices, language=lang, on=on,
                              portal_url=portal_url, preferences_url=preferences_url,
                              pay_by_from_delivery=pay_by_from_delivery)
    context["channel"] = channel
    if wording is None:
        wording = current_override(org, TemplateKey(template, channel, lang))

    def part(file: str, field: str, html: bool) -> str:
        source = None if wording is None else getattr(wording, field)
        if source is not None and field == "body_html" and wording.subject:
            # The HTML's title is the subject: the edited one, not the shipped file beside it.
            source = _OWN_SUBJECT.sub(lambda _: wording.subject, source)
        return _render(f"{folder}/{file}", context, html=html, source=source)

    text = part("body.txt", "body_text", False)
    subject = _one_line(part("subject.txt", "subject", False)) if channel == "email" else ""
    html = part("body.html", "body_html", True).strip() if channel in _HTML_CHANNELS else ""
    text = _sms(text) if channel == "sms" else _tidy(text)
    if channel == "sms" and "STOP" not in text:
        text = f"{text} {SMS_OPT_OUT.get(lang, SMS_OPT_OUT['en'])}"
    return RenderedMessage(subject=subject, text=text, html=html)


def email_text(text: str) -> str:
    """The plain-text part as it leaves (the e-mail channel calls this once links and dates are filled
    in): lines over ``TEXT_WIDTH`` broken at spaces, each link on a line of its own, no runs of blank
    lines. The stored body keeps its long lines: pages and exports lay it out themselves."""
    return wrap(_tidy(text), TEXT_WIDTH, whole=_UNBROKEN, alone=_LINKS)


def choose_language(language: str | None, customer, org) -> str:
    """The language asked for, else the customer's, else the organization's locale's, else English.

    Returns the bare language code ("de" for "de_AT" or "de-AT"), lower case.
    """
    for candidate in (language, getattr(customer, "language", ""), getattr(org, "locale", "")):
        if candidate:
            code = re.split(r"[-_]", candidate.strip())[0].lower()
            # Anything but a language code (it becomes part of a template path) means English.
            return code if re.fullmatch(r"[a-z]{2,3}", code) else FALLBACK_LANGUAGE
    return FALLBACK_LANGUAGE


def _template_folder(template: str, channel: str, lang: str) -> str:
    tried = []
    for candidate in dict.fromkeys((lang, FALLBACK_LANGUAGE)):
        folder = f"messaging/{template}/{channel}/{candidate}"
        try:
            get_template(f"{folder}/body.txt")
        except TemplateDoesNotExist:
            tried.append(f"{folder}/body.txt")
            continue
        return folder
    raise TemplateMissing(f"no template {template!r} for channel {channel!r}: tried {', '.join(tried)}")


def _render(name: str, context: dict[str, Any], *, html: bool, source: str | None = None) -> str:
    if source is not None:
        try:
            own = compile_override(source, name)
        except TemplateRejected as exc:
            raise TemplateInvalid(f"the wording of {name} cannot be used: {exc}") from None
        return own.render(Context(context, autoescape=html))
    try:
        compiled = get_template(name)
    except TemplateDoesNotExist:
        raise TemplateMissing(f"template file {name} is missing") from None
    # The engine-level template renders with the autoescape we choose: text
    # (subjects, plain bodies, SMS) must not turn "O'Brien & Co" into entities.
    return compiled.template.render(Context(context, autoescape=html))


def _one_line(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _sms(text: str) -> str:
    # Babel's no-break spaces (U+00A0, U+202F) are outside the GSM 03.38
    # alphabet and would turn the SMS into UCS-2 (70 characters per part).
    return _one_line(text.replace("\u00a0", " ").replace("\u202f", " "))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def babel_locale(language: str, org, customer) -> str:
    """The Babel locale for amounts and dates: the reader's country if CLDR knows it in that language.

    "en" for a GB customer gives "en_GB" (31 March 2026, £1,200.00); an
    organization locale like "de_CH" is used when its language matches.
    """
    for country in (getattr(customer, "country", ""), getattr(org, "country", "")):
        candidate = f"{language}_{country.upper()}" if country else ""
        if candidate and localedata.exists(candidate):
            return candidate
    org_locale = (getattr(org, "locale", "") or "").replace("-", "_")
    if org_locale.split("_")[0].lower() == language and localedata.exists(org_locale):
        return org_locale
    return language if localedata.exists(language) else FALLBACK_LANGUAGE


def message_context(*, org, customer, invoices: Sequence, language: str, on: date,
                    portal_url: str = "", preferences_url: str = "",
                    pay_by_from_delivery: bool = False) -> dict[str, Any]:
    """Everything the templates may show, already formatted for ``language``.

    Keys: org, customer, language, today, pay_by, respond_by, invoices (rows),
    overdue_invoices, invoice_count, overdue_count, max_days_overdue, totals
    (per currency: currency, amount, overdue, has_overdue, all_overdue),
    overdue_totals (currency, amount), discount (or None), charges (per invoice
    with charges still open: invoice, principal, charges: invoice, kind, date,
    amount open, charged, part_settled), bank (or None), reference (each invoice's
    payment reference, ``core.rf.payment_reference``; with several, each followed by its invoice
    number in brackets), portal_url, preferences_url. ``pay_by`` is a marker delivery fills in
    (``send_dates``) when ``pay_by_from_delivery``.
    """
    locale = babel_locale(language, org, customer)

    def money(minor: int, currency: str) -> str:
        return format_money(from_minor(minor, currency), currency, locale=locale)

    def day(d: date, style: str = "long") -> str:
        return format_day(d, style, locale)

    ordered = sorted(invoices, key=lambda inv: (inv.due_date, inv.number))
    rows = [_invoice_row(inv, on, money, day) for inv in ordered]
    open_by_currency: dict[str, int] = {}
    overdue_by_currency: dict[str, int] = {}
    for inv in ordered:
        open_by_currency[inv.currency] = open_by_currency.get(inv.currency, 0) + inv.open_minor
        if inv.due_date < on:
            overdue_by_currency[inv.currency] = overdue_by_currency.get(inv.currency, 0) + inv.open_minor
    totals = [{"currency": cur, "amount": money(minor, cur),
               "overdue": money(overdue_by_currency.get(cur, 0), cur),
               "has_overdue": overdue_by_currency.get(cur, 0) > 0,
               "all_overdue": overdue_by_currency.get(cur, 0) == minor}
              for cur, minor in open_by_currency.items()]
    overdue_rows = [row for row in rows if row["overdue"]]
    return {
        "org": org,
        "customer": customer,
        "language": language,
        "today": day(on),
        "pay_by": (delivery_marker(PAY_WITHIN_DAYS, locale) if pay_by_from_delivery
                   else day(on + timedelta(days=PAY_WITHIN_DAYS))),
        "respond_by": day(on + timedelta(days=RESPOND_WITHIN_DAYS)),
        "invoices": rows,
        "overdue_invoices": overdue_rows,
        "invoice_count": len(rows),
        "overdue_count": len(overdue_rows),
        "max_days_overdue": max((row["days_overdue"] for row in rows), default=0),
        "totals": totals,
        "overdue_totals": [{"currency": cur, "amount": money(minor, cur)}
                           for cur, minor in overdue_by_currency.items()],
        "discount": _earliest_discount(ordered, on, money, day, locale),
        "charges": _charges(ordered, on, money, day),
        "bank": _bank(org),
        "reference": (rows[0]["reference"] if len(rows) == 1
                      else ", ".join(f"{row['reference']} ({row['number']})" for row in rows)),
        "portal_url": portal_url,
        "preferences_url": preferences_url,
    }


@lru_cache(maxsize=8192)
def format_day(d: date, style: str, locale: str) -> str:
    # The same few hundred due and issue dates come back in message after message of a cycle.
    return format_date(d, format=style, locale=locale)


def _invoice_row(inv, on: date, money, day) -> dict[str, Any]:
    late = (on - inv.due_date).days
    open_text = money(inv.open_minor, inv.currency)
    return {
        "number": inv.number,
        "reference": payment_reference(inv.number, inv.pk),
        "issue_date": day(inv.issue_date, "medium"),
        "due_date": day(inv.due_date, "medium"),
        "days_overdue": max(late, 0),
        "days_until_due": max(-late, 0),
        "overdue": late > 0,
        "currency": inv.currency,
        "open": open_text,
        "total": open_text if inv.total_minor == inv.open_minor else money(inv.total_minor, inv.currency),
    }


def _earliest_discount(invoices: Sequence, on: date, money, day, locale: str) -> dict[str, str] | None:
    """The early-payment discount whose deadline comes first among those still open on ``on``."""
    best = None
    for inv in invoices:
        if inv.open_minor <= 0:
            continue
        terms = inv.terms_as_agreed()
        deadline = discount_deadline(inv.issue_date, terms)
        if deadline is None or deadline < on:
            continue
        amount = early_payment_discount(inv.total_minor, inv.issue_date, on, terms, inv.currency)
        if amount > 0 and (best is None or (deadline, inv.number) < best[0]):
            best = ((deadline, inv.number), inv, terms, amount)
    if best is None:
        return None
    (deadline, _), inv, terms, amount = best
    return {
        "invoice": inv.number,
        "percent": format_percent(terms.discount_percent / 100, locale=locale, decimal_quantization=False),
        "amount": money(amount, inv.currency),
        "pay": money(max(inv.open_minor - amount, 0), inv.currency),
        "deadline": day(deadline),
    }


def _charges(invoices: Sequence, on: date, money, day) -> list[dict[str, Any]]:
    """Per invoice with late fees, interest or other charges still open (added on or before
    ``on``): its principal still open and each open charge (kind, date, amount open, and what
    was charged when part of it is settled). Charges paid or waived are no longer owed and
    are left out; how payments split between principal and charges is ``ledger.splits``."""
    from recoup.ledger.splits import invoice_parts

    groups = []
    for inv in invoices:
        # .all() so that a caller's prefetch_related("charges") is used; most invoices have none.
        if not any(charge.date <= on for charge in inv.charges.all()):
            continue
        parts = invoice_parts(inv)
        rows = [{"invoice": inv.number, "kind": row.charge.kind, "date": day(row.charge.date, "medium"),
                 "amount": money(row.open_minor, inv.currency), "charged": money(row.charge.amount_minor, inv.currency),
                 "part_settled": row.open_minor != row.charge.amount_minor}
                for row in parts.open_charges if row.charge.date <= on]
        if rows:
            groups.append({"invoice": inv.number, "principal": money(parts.principal_open_minor, inv.currency),
                           "charges": rows})
    return groups


def _bank(org) -> dict[str, str] | None:
    if not (org.bank_iban or org.bank_account):
        return None
    shown_iban = iban_numbers.format(org.bank_iban) if org.bank_iban else ""
    return {"holder": org.legal_name, "name": org.bank_name, "iban": shown_iban,
            "bic": org.bank_bic, "account": org.bank_account}
