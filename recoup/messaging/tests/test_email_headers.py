"""A line break or other control character in a name never breaks (or injects into) an e-mail's headers.

New names with control characters are refused where they are typed (organization settings and
creation, a message's subject); a name stored before that rule, or one that reaches a subject
another way, is sent on one line.
"""

from __future__ import annotations

import pytest

from recoup.messaging.channels.email import EmailChannel

HOSTILE = "Acme\r\nBcc: victim@example.com\x07\x1b Ltd"  # no NUL: PostgreSQL cannot store one


def test_a_stored_name_with_a_line_break_is_sent_on_one_line(smtp, org_a, customer_a, queue, now):
    org_a.legal_name = HOSTILE  # as stored before names were checked
    org_a.save(update_fields=["legal_name"])
    message = queue(org_a, customer_a, "inject", subject="Reminder from Acme\nBcc: victim@example.com\x1b")
    message.org.refresh_from_db()
    EmailChannel(now=now).send(message)
    [mail] = smtp.received
    assert mail["Bcc"] is None and len(smtp.received) == 1
    assert mail["From"] == '"Acme Bcc: victim@example.com Ltd" <collections@recoup.example>'
    assert mail["Reply-To"] == '"Acme Bcc: victim@example.com Ltd" <accounts@acme.example>'
    assert mail["Subject"] == "Reminder from Acme Bcc: victim@example.com"
    assert mail["To"] == "pat@customer.example"


@pytest.mark.parametrize("name", ["Acme\nLtd", "Acme\rLtd", "Acme\x00", "Acme\x1b[31m", "Acme\u2028Ltd", "Ac\x85me"])
def test_organization_settings_refuse_control_characters_in_names(org_a, system, now, name):
    from recoup.orgs.actions import OrgInputError, org_update

    with pytest.raises(OrgInputError) as caught:
        org_update(org=org_a, actor=system, now=now, legal_name=name)
    assert caught.value.field == "legal_name" and "control character" in str(caught.value)
    org_a.refresh_from_db()
    assert org_a.legal_name == "Acme Supplies Ltd"


def test_the_settings_page_shows_the_refusal_next_to_the_field(org_a, client):
    from django.contrib.auth import get_user_model

    from recoup.orgs.models import Membership

    user = get_user_model().objects.create_user("olivia", password="pw-long-enough-123")
    Membership.objects.create(org=org_a, user=user, role="owner")
    client.force_login(user)
    from recoup.orgs.actions import ORG_FIELDS  # noqa: F401  (the form posts every field)

    page = client.get("/o/acme/settings/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data["legal_name"] = "Acme\r\nBcc: x@example.com"
    r = client.post("/o/acme/settings/", data)
    assert r.status_code == 200 and "control character" in r.content.decode()
    org_a.refresh_from_db()
    assert org_a.legal_name == "Acme Supplies Ltd"


def test_creating_an_organization_refuses_control_characters_in_its_name(db, system, now):
    from recoup.orgs.actions import OrgError, org_create

    with pytest.raises(OrgError, match="control character"):
        org_create(slug="evil", legal_name="Evil\nCorp", currency="GBP", country="GB", actor=system, now=now)


def test_an_operators_e_mail_subject_with_a_line_break_is_refused(org_a, customer_a, system, now):
    from recoup.messaging.actions import MessagingError, message_send

    with pytest.raises(MessagingError, match="subject: .*control character"):
        message_send(org=org_a, customer=customer_a, channel="email", to_address="pat@customer.example",
                     subject="Hello\r\nBcc: victim@example.com", body_text="Hi", actor=system, now=now,
                     contact=customer_a.billing)


def test_the_operators_digest_is_sent_with_a_stored_bad_name(smtp, org_a, system, now):
    from datetime import date

    from recoup.collections.digest import digest_send
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
    org_a.legal_name = HOSTILE
    org_a.save(update_fields=["legal_name"])
    assert digest_send(org=org_a, on=date(2026, 3, 31)) == 1
    [mail] = smtp.received
    assert mail["Bcc"] is None and mail["Subject"].startswith("Recoup Acme Bcc: victim@example.com Ltd, 31 Mar 2026")
