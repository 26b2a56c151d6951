"""The debtor's pages: statement, invoice PDF, bank transfer, preferences, a new link, a message.

Thin: every view gets the ``PortalAccess`` of a valid link (``access.portal_page``),
reads only that customer's rows and writes through actions. Paying, plans,
promises and disputes are in ``arrangement_views``.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from recoup.core.money import format_money, from_minor
from recoup.lib.downloads import content_disposition
from recoup.payments.epc import epc_svg
from recoup.payments.selectors import bank_transfer, card_checkout_origin, has_bank_details
from recoup.portal import selectors, wording
from recoup.portal.access import note_failure, portal_page, refused, throttled
from recoup.ledger.models import Channel
from recoup.portal.actions import (PortalError, channel_stop, current_preferences, customer_message, debtor,
                                   preferences_update, token_rotate)
from recoup.portal.forms import MessageForm, PreferencesForm
from recoup.portal.invoice_pdf import invoice_pdf_bytes
from recoup.portal.selectors import PortalAccess

DONE = {
    "message": gettext_noop("Thank you. Your message was sent to us."),
    "preferences": gettext_noop("Your preferences were saved."),
    "plan": gettext_noop("Thank you. Your payment plan is in place."),
    "plan_review": gettext_noop("Thank you. We will look at your proposed plan and get back to you."),
    "promise": gettext_noop("Thank you. We have noted your promise and will not send reminders until then."),
    "dispute": gettext_noop("Thank you. We will look into it; we will not chase these invoices meanwhile."),
    "paid": gettext_noop("Thank you for your payment."),
    "cancelled": gettext_noop("The card payment was cancelled; nothing was charged."),
}


def money(minor: int, currency: str) -> str:
    return format_money(from_minor(minor, currency), currency, locale=translation.get_language() or "en")


def day(value: date) -> str:
    return format_date(value, format="medium", locale=translation.get_language() or "en")


def url(name: str, access: PortalAccess, *args) -> str:
    return reverse(name, args=[access.secret, *args])


def page(request: HttpRequest, access: PortalAccess, template: str, context: dict, status: int = 200) -> HttpResponse:
    lang = translation.get_language()
    keep = f"?lang={lang}" if request.GET.get("lang") == lang else ""
    base = {"access": access, "org": access.org, "customer": access.customer, "lang": lang, "keep_lang": keep,
            "nav": [(name, url(name, access) + keep, label) for name, label in (
                ("portal_home", _("Your account")), ("portal_pay", _("Pay")), ("portal_plan", _("Payment plan")),
                ("portal_promise", _("Promise a date")), ("portal_dispute", _("Raise a problem")),
                ("portal_message", _("Write to us")), ("portal_preferences", _("Contact preferences")))],
            "current": request.resolver_match.url_name if request.resolver_match else "",
            "languages": [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]}
    return render(request, template, {**base, **context}, status=status)


def invoice_rows(invoices, today: date) -> list[dict]:
    return [{"pk": i.pk, "number": i.number, "issued": day(i.issue_date), "due": day(i.due_date),
             "overdue": i.due_date < today, "days_overdue": (today - i.due_date).days,
             "total": money(i.total_minor, i.currency), "open": money(i.open_minor, i.currency)}
            for i in invoices]


def _today(access: PortalAccess) -> date:
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo(access.org.timezone or "UTC")).date()


def arrangement_items(arr) -> list[dict]:
    """The customer's plans, promises, disputes and settlements in words, amounts and dates formatted."""
    items = []
    for p in arr.plans:
        items.append({"text": _("Payment plan: %(status)s") % {"status": wording.status_words(wording.PLAN, p.status)},
                      "sub": [f"{day(s.due_date)}: {money(s.amount_minor, p.currency)}" for s in p.instalments.all()]})
    for pr in arr.promises:
        items.append({"text": _("You promised to pay %(amount)s by %(date)s.") % {
            "amount": money(pr.amount_minor, pr.currency), "date": day(pr.pay_by)}})
    for d in arr.disputes:
        items.append({"text": _("Problem reported on %(date)s about %(invoices)s: %(status)s") % {
            "date": day(d.opened_on), "invoices": ", ".join(i.number for i in d.invoices.all()),
            "status": wording.status_words(wording.DISPUTE, d.status)}})
    for s in arr.settlements:
        items.append({"text": _("Settlement: %(status)s") % {"status": wording.status_words(wording.SETTLEMENT, s.status)}})
    return items


@require_http_methods(["GET"])
@portal_page
def home(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    from recoup.arrangements.selectors import open_arrangements

    invoices = selectors.open_invoices(access)
    totals: dict[str, int] = {}
    for inv in invoices:
        totals[inv.currency] = totals.get(inv.currency, 0) + inv.open_minor
    credits = [{"kind": kind, "label": (_("Credit note %(number)s") % {"number": row.number} if kind == "credit_note"
                                        else _("Payment of %(date)s") % {"date": day(row.date)}),
                "amount": money(row.unapplied_minor, row.currency)} for kind, row in selectors.credits(access)]
    done = request.GET.get("done", "")
    return page(request, access, "portal/home.html", {
        "invoices": invoice_rows(invoices, _today(access)),
        "totals": [money(v, k) for k, v in sorted(totals.items())],
        "credits": credits,
        "arrangements": arrangement_items(open_arrangements(org=access.org, customer=access.customer)),
        "done": _(DONE[done]) if done in DONE else "",
        "card": card_checkout_origin(access.org) is not None,
        "bank": has_bank_details(access.org),
    })


@require_http_methods(["GET"])
@portal_page
def invoice_document(request: HttpRequest, access: PortalAccess, invoice_id: int) -> HttpResponse:
    invoice = selectors.customer_invoice(access, invoice_id)
    if invoice is None:
        return refused(request)
    if invoice.pdf:
        # The business's uploaded file: downloaded, never shown inline, whatever it carries.
        return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf",
                            as_attachment=True)
    response = HttpResponse(invoice_pdf_bytes(access.org, invoice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"{invoice.number}.pdf", attachment=False)
    return response


@require_http_methods(["GET"])
@portal_page
def bank(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    transfers = [(row, bank_transfer(org=access.org, invoice=inv))
                 for row, inv in zip(invoice_rows(selectors.open_invoices(access), _today(access)),
                                     selectors.open_invoices(access))]
    return page(request, access, "portal/bank.html", {"transfers": transfers, "bank": has_bank_details(access.org)})


@require_http_methods(["GET"])
@portal_page
def invoice_qr(request: HttpRequest, access: PortalAccess, invoice_id: int) -> HttpResponse:
    invoice = selectors.customer_invoice(access, invoice_id)
    transfer = bank_transfer(org=access.org, invoice=invoice) if invoice else None
    if transfer is None or not transfer.epc:
        return refused(request)
    svg = epc_svg(transfer.epc, title=_("QR code to pay invoice %(number)s by bank transfer") % {"number": invoice.number})
    return HttpResponse(svg, content_type="image/svg+xml")


@require_http_methods(["GET", "POST"])
@portal_page
def preferences(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    form = PreferencesForm(request.POST or None, initial=_preferences_initial(access))
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            preferences_update(org=access.org, customer=access.customer, opt_out=form.opt_out(),
                               preferred_channel=form.cleaned_data["preferred_channel"],
                               language=form.cleaned_data["language"], contact_from=form.cleaned_data["contact_from"],
                               contact_to=form.cleaned_data["contact_to"], actor=debtor(access.customer),
                               now=timezone.now())
        except (PortalError, ValueError) as exc:
            error = str(exc)
        else:
            return redirect(url("portal_home", access) + "?done=preferences")
    return _preferences_page(request, access, form, error=error)


def _preferences_initial(access: PortalAccess) -> dict:
    current = current_preferences(org=access.org, customer=access.customer)
    initial = {f"opt_out_{ch}": stopped for ch, stopped in current["opt_out"].items()}
    initial.update(preferred_channel=current["preferred_channel"], language=translation.get_language(),
                   contact_from=current["contact_from"], contact_to=current["contact_to"])
    return initial


def _preferences_page(request: HttpRequest, access: PortalAccess, form: PreferencesForm, *, error: str = "",
                      done: str = "") -> HttpResponse:
    return page(request, access, "portal/preferences.html", {
        "form": form, "error": error, "done": done, "has_contacts": access.customer.contacts.exists()})


@csrf_exempt  # RFC 8058: the mail provider posts without a session or a CSRF token; the link is the credential
@require_http_methods(["GET", "POST"])
@portal_page
def unsubscribe(request: HttpRequest, access: PortalAccess, channel: str) -> HttpResponse:
    """The e-mail's List-Unsubscribe URL. A POST of ``List-Unsubscribe=One-Click`` stops ``channel`` through
    ``channel_stop``; a GET (a mail scanner prefetching the link, or the debtor clicking it) changes
    nothing and shows the preferences page, whose form posts to the preferences page itself."""
    if channel not in Channel.values:
        note_failure(request)
        return refused(request)
    if request.method == "GET":
        return _preferences_page(request, access, PreferencesForm(initial=_preferences_initial(access)))
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse("Expected List-Unsubscribe=One-Click (RFC 8058).", status=400,
                            content_type="text/plain; charset=utf-8")
    error, done = "", _(DONE["preferences"])
    try:
        channel_stop(org=access.org, customer=access.customer, channel=channel, actor=debtor(access.customer),
                     now=timezone.now(), how=f"with the one-click unsubscribe of an e-mail (stop {channel})")
    except PortalError as exc:
        error, done = str(exc), ""
    return _preferences_page(request, access, PreferencesForm(initial=_preferences_initial(access)),
                             error=error, done=done)


@require_POST
@portal_page
def rotate(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    _token, secret = token_rotate(org=access.org, customer=access.customer, actor=debtor(access.customer),
                                  now=timezone.now(), reason="replaced by the customer in the portal")
    return page(request, access, "portal/rotated.html", {"new_url": request.build_absolute_uri(
        reverse("portal_home", args=[secret]))})


@require_http_methods(["GET", "POST"])
@portal_page
def message(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    form = MessageForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            customer_message(org=access.org, customer=access.customer, text=form.cleaned_data["text"],
                             actor=debtor(access.customer), now=timezone.now())
        except PortalError as exc:
            error = str(exc)
        else:
            return redirect(url("portal_home", access) + "?done=message")
    return page(request, access, "portal/message.html", {"form": form, "error": error})


def unknown(request: HttpRequest, anything: str = "") -> HttpResponse:
    if throttled(request):
        return refused(request, status=429)
    note_failure(request)
    return refused(request)
