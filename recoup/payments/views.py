"""The provider's webhook: verified, then handed to ``actions.webhook_receive``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recoup.orgs.models import Organization
from recoup.payments.actions import webhook_receive
from recoup.payments.models import ProviderName
from recoup.payments.providers import WebhookRejected

MAX_BODY = 1024 * 1024


@csrf_exempt  # the provider signs its requests; there is no browser session to protect
@require_POST
def webhook(request: HttpRequest, provider: str, slug: str) -> HttpResponse:
    org = Organization.objects.filter(slug=slug).first()
    if org is None or provider not in ProviderName.values or len(request.body) > MAX_BODY:
        return HttpResponse("not found", status=404, content_type="text/plain")
    try:
        outcome = webhook_receive(org=org, provider=provider, payload=request.body, headers=request.headers,
                                  now=timezone.now())
    except WebhookRejected as exc:
        return HttpResponse(f"rejected: {exc}", status=400, content_type="text/plain")
    return HttpResponse(outcome, status=200, content_type="text/plain")
