"""The debtor's portal (issue 5), mounted at /p/: every page sits under the link's secret."""

from django.urls import path, register_converter

from recoup.portal import arrangement_views, views


class SecretConverter:
    regex = r"[A-Za-z0-9_-]{20,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SecretConverter, "secret")

urlpatterns = [
    path("<secret:token>/", views.home, name="portal_home"),
    path("<secret:token>/invoices/<int:invoice_id>/document.pdf", views.invoice_document, name="portal_invoice_pdf"),
    path("<secret:token>/invoices/<int:invoice_id>/epc-qr.svg", views.invoice_qr, name="portal_invoice_qr"),
    path("<secret:token>/bank-transfer/", views.bank, name="portal_bank"),
    path("<secret:token>/pay/", arrangement_views.pay, name="portal_pay"),
    path("<secret:token>/pay/return/", arrangement_views.pay_return, name="portal_pay_return"),
    path("<secret:token>/plan/", arrangement_views.plan, name="portal_plan"),
    path("<secret:token>/promise/", arrangement_views.promise, name="portal_promise"),
    path("<secret:token>/dispute/", arrangement_views.dispute, name="portal_dispute"),
    path("<secret:token>/message/", views.message, name="portal_message"),
    path("<secret:token>/preferences/", views.preferences, name="portal_preferences"),
    # An e-mail's List-Unsubscribe (RFC 8058 one-click): a POST stops the channel, a GET only shows the page.
    path("<secret:token>/preferences/stop/<str:channel>/", views.unsubscribe, name="portal_unsubscribe"),
    path("<secret:token>/new-link/", views.rotate, name="portal_rotate"),
    # Anything else under /p/ (a cut-off or made-up link) gets the same polite refusal, and counts.
    path("<path:anything>", views.unknown, name="portal_unknown"),
]
