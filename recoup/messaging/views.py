"""The inbound e-mail webhook: one ESP's normalized inbound hook (django-anymail) feeding record_inbound.

Configured by RECOUP_INBOUND_ESP (mailgun or postmark), RECOUP_INBOUND_WEBHOOK_SECRET
("user:password", the HTTP basic auth the ESP is given in the webhook URL) and, for Mailgun,
RECOUP_INBOUND_SIGNING_KEY (its webhook signing key). Read from Django settings of the same
name, else from the environment.
"""

from __future__ import annotations

import logging

from anymail.signals import inbound
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from recoup.lib.env import envstr
from recoup.messaging.inbound import record_inbound

log = logging.getLogger(__name__)

ESP_VIEWS = {
    "mailgun": "anymail.webhooks.mailgun.MailgunInboundWebhookView",
    "postmark": "anymail.webhooks.postmark.PostmarkInboundWebhookView",
}


def _setting(name: str) -> str:
    return (getattr(settings, name, "") or envstr(name)).strip()


def _esp_view(esp: str):
    if esp not in ESP_VIEWS:
        raise ImproperlyConfigured(f"RECOUP_INBOUND_ESP={esp!r} is not one of {', '.join(ESP_VIEWS)}")
    secret = _setting("RECOUP_INBOUND_WEBHOOK_SECRET")
    if ":" not in secret:
        # anymail would only warn; an open hook would let anyone pause any customer's collection.
        raise ImproperlyConfigured("set RECOUP_INBOUND_WEBHOOK_SECRET to user:password for the inbound webhook")
    options = {"webhook_secret": secret}
    if esp == "mailgun":
        options["webhook_signing_key"] = _setting("RECOUP_INBOUND_SIGNING_KEY")
        if not options["webhook_signing_key"]:
            raise ImproperlyConfigured("set RECOUP_INBOUND_SIGNING_KEY to Mailgun's webhook signing key")
    return import_string(ESP_VIEWS[esp])(**options)


@csrf_exempt
@login_not_required
def inbound_webhook(request: HttpRequest) -> HttpResponse:
    """Hand the request to the configured ESP's anymail view, which checks it and sends ``inbound``."""
    esp = _setting("RECOUP_INBOUND_ESP").lower()
    if not esp:
        raise Http404("inbound e-mail is not configured (RECOUP_INBOUND_ESP)")
    view = _esp_view(esp)
    view.setup(request)
    return view.dispatch(request)


@receiver(inbound, dispatch_uid="recoup.messaging.inbound")
def on_inbound(sender, event, esp_name: str, **kwargs) -> None:
    # An exception here answers 500, so the ESP retries; record_inbound is idempotent.
    result = record_inbound(raw_or_message=event.message, now=timezone.now())
    log.info("%s inbound e-mail: matched by %s, message %s", esp_name, result.matched_by,
             result.message.pk if result.message else None)
