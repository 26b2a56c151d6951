"""Set up and read back the write-back kill test's database from a subprocess (``python -m``):
``setup`` makes an organization connected to the Xero served at RECOUP_XERO_URL, syncs it and
records a card payment in Recoup; ``sync`` syncs again; ``report`` prints the state as JSON."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 3, 31, 9, 0, tzinfo=timezone.utc)


def main(verb: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoup.settings")
    import django

    django.setup()
    from recoup.audit.actions import Actor
    from recoup.connections import crypto
    from recoup.connections.models import Connection, ConnectionStatus, Writeback
    from recoup.connections.sync import sync_connection
    from recoup.ledger.actions import payment_record
    from recoup.ledger.models import Invoice, Payment
    from recoup.orgs.actions import org_create
    from recoup.orgs.models import Organization

    if verb == "setup":
        org = org_create(slug="acme", legal_name="Acme Ltd", currency="GBP", country="GB", timezone="Europe/London",
                         actor=Actor.system("test"), now=NOW)
        connection = Connection.objects.create(
            org=org, provider="xero", status=ConnectionStatus.ACTIVE, remote_id="tenant-1", remote_name="Demo",
            access_token_enc=crypto.encrypt("access-1"), refresh_token_enc=crypto.encrypt("refresh-1"),
            token_expires_at=NOW + timedelta(days=365), payment_account="090", connected_at=NOW)
        assert sync_connection(connection=connection, now=NOW).ok
        invoice = Invoice.objects.for_org(org).get(number="INV-0001")
        payment_record(org=org, customer=invoice.customer, date=NOW.date(), amount_minor=4000, currency="GBP",
                       invoice=invoice, method="card", reference="portal card payment", actor=Actor.system("portal"),
                       now=NOW)
        return
    org = Organization.objects.get(slug="acme")
    connection = Connection.objects.for_org(org).get()
    if verb == "sync":
        result = sync_connection(connection=connection, now=NOW + timedelta(hours=1))
        assert result.ok, result.error
        return
    invoice = Invoice.objects.for_org(org).get(number="INV-0001")
    print(json.dumps({
        "open_minor": invoice.open_minor,
        "payments": Payment.objects.for_org(org).count(),
        "writebacks": list(Writeback.objects.for_org(org).values_list("status", "attempts", "remote_id")),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
