"""Connect, choose the remote organization, disconnect, and the books settings: the only code that
writes connections (sync in: ``sync.py``; write back: ``writeback.py``).

Every action takes the organization, who acts and ``now``, and writes an audit event. Tokens are
stored encrypted (``crypto.py``) and never appear in an event, a message or a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.connections.models import BooksSettings, Connection, ConnectionStatus, OAuthState, Provider
from recoup.connections.oauth import authorization_url, exchange_code
from recoup.connections.providers import provider_for
from recoup.connections.tasks import request_writeback_run
from recoup.connections.tokens import store_tokens
from recoup.orgs.models import Organization

STATE_LIFETIME = timedelta(minutes=30)


class ConnectionsError(ValueError):
    """A connection request Recoup refuses, with a sentence for the operator."""


def connect_start(*, org: Organization, provider: str, redirect_uri: str, user, now: datetime) -> str:
    """The provider's authorization URL to open; remembers its state and PKCE verifier."""
    if provider not in Provider.values:
        raise ConnectionsError(f"provider: {provider!r} is not one of {', '.join(Provider.values)}")
    books = provider_for(provider)
    if not books.config.client_id:
        raise ConnectionsError(f"{books.label} is not set up on this server: set RECOUP_{provider.upper()}_CLIENT_ID "
                               f"and _CLIENT_SECRET (docs/connections.md)")
    url, state, verifier = authorization_url(books, redirect_uri=redirect_uri)
    OAuthState.objects.filter(created_at__lt=now - STATE_LIFETIME).delete()
    OAuthState.objects.create(state=state, org=org, provider=provider, user=user, code_verifier=verifier,
                              redirect_uri=redirect_uri, created_at=now)
    return url


def _take_state(state: str, now: datetime, org: Organization | None) -> OAuthState:
    found = OAuthState.objects.select_related("org").filter(state=state or "-").first()
    if found is None or found.created_at < now - STATE_LIFETIME or (org is not None and found.org_id != org.pk):
        raise ConnectionsError("this authorization is unknown or expired (state does not match): start Connect again")
    found.delete()
    return found


@transaction.atomic
def connect_complete(*, state: str, code: str, callback: Mapping[str, str], actor: Actor, now: datetime,
                     org: Organization | None = None, user=None) -> Connection:
    """Exchange the code for tokens (state checked, once), find the remote organizations the
    authorization reaches: one is connected at once, several wait for ``connect_choose``."""
    pending = _take_state(state, now, org)
    if user is not None and pending.user_id not in (None, user.pk):
        raise ConnectionsError("this authorization was started by someone else: start Connect again")
    org, provider = pending.org, pending.provider
    books = provider_for(provider)
    tokens = exchange_code(books, code=code, redirect_uri=pending.redirect_uri, code_verifier=pending.code_verifier,
                           now=now)
    tenants = books.tenants(access_token=tokens.access_token, callback={**dict(callback.items()), **(tokens.extra or {})})
    if not tenants:
        raise ConnectionsError(f"the {books.label} login reaches no organization")
    connection = Connection.objects.for_org(org).filter(provider=provider).first() or \
        Connection(org=org, provider=provider)
    store_tokens(connection, tokens, now)
    connection.last_error = ""
    if len(tenants) == 1 or any(t.remote_id == connection.remote_id for t in tenants):
        chosen = next((t for t in tenants if t.remote_id == connection.remote_id), tenants[0])
        _activate(connection, chosen.remote_id, chosen.name, now)
    else:
        connection.status = ConnectionStatus.CHOOSING
        connection.choices = [{"id": t.remote_id, "name": t.name} for t in tenants]
    connection.save()
    if connection.is_active:
        transaction.on_commit(request_writeback_run)
    audit.record(org=org, actor=actor, at=now, verb="connection.authorized", subject=connection,
                 summary=f"{books.label} authorized" + (f": {connection.remote_name}" if connection.is_active
                                                        else f", {len(tenants)} organizations to choose from"),
                 data={"provider": provider, "remote_id": connection.remote_id})
    return connection


def _activate(connection: Connection, remote_id: str, name: str, now: datetime) -> None:
    if connection.remote_id and connection.remote_id != remote_id and connection.links.exists():
        raise ConnectionsError(f"this organization was connected to {connection.remote_name}; Recoup keeps what it "
                               "imported from there and cannot mix two sets of books: connect the same one")
    if connection.remote_id != remote_id:
        connection.cursor = {}
    connection.remote_id, connection.remote_name = remote_id, name[:200]
    connection.status = ConnectionStatus.ACTIVE
    connection.choices = []
    connection.connected_at = connection.connected_at or now


@transaction.atomic
def connect_choose(*, org: Organization, connection: Connection, remote_id: str, actor: Actor,
                   now: datetime) -> Connection:
    """Pick one of the remote organizations an authorization reaches."""
    connection = Connection.objects.for_org(org).select_for_update(no_key=True).get(pk=connection.pk)
    match = [c for c in connection.choices if c["id"] == remote_id]
    if connection.status != ConnectionStatus.CHOOSING or not match:
        raise ConnectionsError("that organization is not among those the authorization reaches")
    _activate(connection, remote_id, match[0]["name"], now)
    connection.save()
    transaction.on_commit(request_writeback_run)
    audit.record(org=org, actor=actor, at=now, verb="connection.connected", subject=connection,
                 summary=f"{connection.get_provider_display()} connected: {connection.remote_name}",
                 data={"provider": connection.provider, "remote_id": remote_id})
    return connection


@transaction.atomic
def disconnect(*, org: Organization, connection: Connection, actor: Actor, now: datetime) -> Connection:
    """Forget the tokens and stop syncing; everything imported stays, with its links (reconnecting
    the same remote organization goes on from them)."""
    connection = Connection.objects.for_org(org).select_for_update(no_key=True).get(pk=connection.pk)
    connection.status = ConnectionStatus.DISCONNECTED
    connection.access_token_enc = connection.refresh_token_enc = ""
    connection.token_expires_at = None
    connection.choices = []
    connection.updated_at = now
    connection.save()
    audit.record(org=org, actor=actor, at=now, verb="connection.disconnected", subject=connection,
                 summary=f"{connection.get_provider_display()} {connection.remote_name} disconnected; "
                         "imported records kept", data={"provider": connection.provider})
    return connection


def books_settings(org: Organization) -> BooksSettings:
    return BooksSettings.objects.get_or_create(org=org)[0]


@transaction.atomic
def books_settings_update(*, org: Organization, actor: Actor, now: datetime, writeback: bool | None = None,
                          stale_after_hours: int | None = None) -> BooksSettings:
    row = BooksSettings.objects.select_for_update(no_key=True).get_or_create(org=org)[0]
    changes = {}
    if writeback is not None and writeback != row.writeback:
        changes["writeback"] = (row.writeback, writeback)
    if stale_after_hours is not None and stale_after_hours != row.stale_after_hours:
        if not 1 <= stale_after_hours <= 24 * 14:
            raise ConnectionsError("stale_after_hours: between 1 and 336 hours")
        changes["stale_after_hours"] = (row.stale_after_hours, stale_after_hours)
    if not changes:
        return row
    for key, (_, new) in changes.items():
        setattr(row, key, new)
    row.save()
    audit.record(org=org, actor=actor, at=now, verb="connection.settings_changed", subject=row,
                 summary="Books settings: " + ", ".join(f"{k.replace('_', ' ')} {new}" for k, (_, new) in changes.items()),
                 data={"before": {k: old for k, (old, _) in changes.items()},
                       "after": {k: new for k, (_, new) in changes.items()}})
    return row


@transaction.atomic
def payment_account_set(*, org: Organization, connection: Connection, account: str, actor: Actor,
                        now: datetime) -> Connection:
    """Where written-back payments land in the books (Xero account code, QuickBooks account id)."""
    connection = Connection.objects.for_org(org).select_for_update(no_key=True).get(pk=connection.pk)
    connection.payment_account = account.strip()[:64]
    connection.save(update_fields=["payment_account"])
    audit.record(org=org, actor=actor, at=now, verb="connection.payment_account", subject=connection,
                 summary=f"{connection.get_provider_display()}: payments written to account {connection.payment_account}")
    return connection
