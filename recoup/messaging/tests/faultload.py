"""Helper run in a subprocess by the fault-injection test, against the database in RECOUP_DATABASE_URL.

    python -m recoup.messaging.tests.faultload setup N   one organization and N queued e-mails
    python -m recoup.messaging.tests.faultload report    every outgoing message as JSON
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)


def setup(count: int) -> None:
    from django.db import transaction

    from recoup.audit.actions import Actor
    from recoup.ledger.models import Contact, Customer
    from recoup.messaging.actions import message_queue
    from recoup.orgs.actions import org_create

    actor = Actor.system("faults")
    org = org_create(slug="acme", legal_name="Acme Supplies Ltd", currency="GBP", country="GB", actor=actor, now=NOW,
                     sender_email="accounts@acme.example")
    with transaction.atomic():
        for i in range(count):
            customer = Customer.objects.create(org=org, ref=f"C{i:03d}", legal_name=f"Customer {i}")
            contact = Contact.objects.create(org=org, customer=customer, name=f"Payer {i}",
                                             email=f"payer{i}@customer.example")
            message_queue(org=org, customer=customer, contact=contact, channel="email", to_address=contact.email,
                          subject=f"Reminder {i}", body_text=f"Please pay, customer {i}.",
                          body_html=f"<p>Please pay, customer {i}.</p>", idempotency_key=f"k{i}", actor=actor,
                          now=NOW)


def report() -> None:
    from recoup.messaging.models import Message

    rows = Message.objects.order_by("id").values("message_id", "subject", "status", "attempts")
    json.dump(list(rows), sys.stdout)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoup.settings")
    import django

    django.setup()
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    else:
        report()
