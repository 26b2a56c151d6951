"""Use cases that write the API's rows: tokens, webhook endpoints, resends.

Keyword-only, each in one transaction, each audited; the time comes from the caller.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from recoup.api.events import EVENT_TYPES
from recoup.api.models import ApiToken, DeliveryStatus, Scope, WebhookCursor, WebhookDelivery, WebhookEndpoint
from recoup.api.tokens import new_token, token_hash
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.audit.models import AuditEvent
from recoup.lib import outbound
from recoup.orgs.models import Organization, check_same_org


class ApiError(ValueError):
    """A request refused, with a message fit to show the operator; ``field`` names the input."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=ApiError)


@transaction.atomic
def token_create(*, org: Organization, name: str, scope: str, actor: Actor, now: datetime) -> tuple[ApiToken, str]:
    """Make a token; returns the row and the token text, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ApiError("a token needs a name", "name")
    if len(name) > 100:
        raise ApiError("the name is longer than 100 characters", "name")
    if scope not in Scope.values:
        raise ApiError(f"{scope!r} is not a scope (read or write)", "scope")
    text, prefix = new_token()
    token = ApiToken.objects.create(org=org, name=name, prefix=prefix, token_hash=token_hash(text), scope=scope,
                                    created_by=actor.user, created_at=now)
    audit.record(org=org, actor=actor, at=now, verb="api.token_created", subject=token,
                 summary=f"API token {name} ({prefix}…, {Scope(scope).label.lower()}) created")
    return token, text


@transaction.atomic
def token_revoke(*, org: Organization, token: ApiToken, actor: Actor, now: datetime) -> ApiToken:
    _same_org(org, token)
    if token.revoked_at is not None:
        return token
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    audit.record(org=org, actor=actor, at=now, verb="api.token_revoked", subject=token,
                 summary=f"API token {token.name} ({token.prefix}…) revoked")
    return token


def token_touch(*, token: ApiToken, now: datetime) -> None:
    """Remember when a token was last used (at most once a minute; bookkeeping, not audited)."""
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def _check_url(url: str) -> None:
    """An http(s) URL whose host is (or resolves to) only public addresses, unless the install allows private."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(f"{url!r} is not an http(s) URL", "url")
    if len(url) > 500:
        raise ApiError("the URL is longer than 500 characters", "url")
    why = outbound.refusal(url, allow_private=settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE)
    if why is not None:
        raise ApiError(why, "url")


def _check_event_types(event_types: list[str]) -> None:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise ApiError(f"unknown event types: {', '.join(unknown)} (known: {', '.join(EVENT_TYPES)})",
                       "event_types")


@transaction.atomic
def endpoint_create(*, org: Organization, url: str, event_types: list[str], actor: Actor, now: datetime,
                    description: str = "") -> WebhookEndpoint:
    """Subscribe ``url`` to ``event_types`` (all when empty); events from now on are sent there."""
    url = url.strip()
    _check_url(url)
    _check_event_types(event_types)
    latest = AuditEvent.objects.for_org(org).aggregate(m=Max("id"))["m"] or 0
    WebhookCursor.objects.get_or_create(org=org, defaults={"last_event_id": latest})
    endpoint = WebhookEndpoint.objects.create(
        org=org, url=url, description=description.strip()[:200], secret=f"whsec_{secrets.token_hex(24)}",
        event_types=sorted(set(event_types)), since_event_id=latest, created_at=now)
    audit.record(org=org, actor=actor, at=now, verb="webhook.endpoint_created", subject=endpoint,
                 summary=f"Webhook endpoint {url} for {', '.join(endpoint.event_types) or 'every event'}")
    from recoup.api.webhooks.tasks import request_webhook_run

    transaction.on_commit(request_webhook_run)
    return endpoint


@transaction.atomic
def endpoint_update(*, org: Organization, endpoint: WebhookEndpoint, actor: Actor, now: datetime,
                    **fields: Any) -> WebhookEndpoint:
    """Change ``url``, ``event_types``, ``description`` or ``active``."""
    _same_org(org, endpoint)
    unknown = set(fields) - {"url", "event_types", "description", "active"}
    if unknown:
        raise TypeError(f"not endpoint fields: {', '.join(sorted(unknown))}")
    if "url" in fields:
        fields["url"] = fields["url"].strip()
    if "event_types" in fields:
        fields["event_types"] = sorted(set(fields["event_types"]))
    # The URL is checked when it changes: switching off (or editing the events of) an endpoint subscribed
    # while the install allowed private addresses still works, and delivery checks every time anyway.
    if "url" in fields and fields["url"] != endpoint.url:
        _check_url(fields["url"])
    _check_event_types(fields.get("event_types", endpoint.event_types))
    changes = {k: v for k, v in fields.items() if getattr(endpoint, k) != v}
    if not changes:
        return endpoint
    before = {k: getattr(endpoint, k) for k in changes}
    for k, v in changes.items():
        setattr(endpoint, k, v)
    endpoint.save(update_fields=list(changes))
    audit.record(org=org, actor=actor, at=now, verb="webhook.endpoint_updated", subject=endpoint,
                 summary=f"Webhook endpoint {endpoint.url} changed: {', '.join(changes)}",
                 data={"before": before, "after": changes})
    return endpoint


@transaction.atomic
def endpoint_delete(*, org: Organization, endpoint: WebhookEndpoint, actor: Actor, now: datetime) -> None:
    _same_org(org, endpoint)
    pk, url = endpoint.pk, endpoint.url
    endpoint.delete()
    endpoint.pk = pk
    audit.record(org=org, actor=actor, at=now, verb="webhook.endpoint_deleted", subject=endpoint,
                 summary=f"Webhook endpoint {url} removed with its delivery log")


@transaction.atomic
def delivery_resend(*, org: Organization, delivery: WebhookDelivery, actor: Actor, now: datetime) -> WebhookDelivery:
    """Send an event again (same event id, so the receiver can tell a repeat) as a new delivery."""
    _same_org(org, delivery)
    again = WebhookDelivery.objects.create(
        org=org, endpoint=delivery.endpoint, event_id=delivery.event_id, event_type=delivery.event_type,
        dedupe_key=delivery.dedupe_key, audit_event_id=delivery.audit_event_id, payload=delivery.payload,
        status=DeliveryStatus.PENDING, next_attempt_at=now, resend_of=delivery, created_at=now)
    audit.record(org=org, actor=actor, at=now, verb="webhook.resent", subject=again,
                 summary=f"Webhook {delivery.event_type} ({delivery.event_id}) resent to {delivery.endpoint.url}")
    from recoup.api.webhooks.tasks import request_webhook_run

    transaction.on_commit(request_webhook_run)
    return again
