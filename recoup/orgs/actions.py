"""Use cases for organizations and who works in them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import minor_exponent
from recoup.ledger.models import PaymentTerms
from recoup.orgs.models import Membership, Organization, Role, slug_validator


class OrgError(ValueError):
    """An organization request Recoup refuses, with a message for the operator."""


@transaction.atomic
def org_create(
    *,
    slug: str,
    legal_name: str,
    currency: str,
    country: str,
    actor: Actor,
    now: datetime,
    region: str = "",
    timezone: str = "UTC",
    locale: str = "en",
    **details: str,
) -> Organization:
    """Create an organization with a default "Net 30" payment terms row."""
    try:
        slug_validator(slug)
    except ValidationError as exc:
        raise OrgError(f"slug {slug!r}: {exc.messages[0]}") from None
    try:
        minor_exponent(currency)
    except ValueError as exc:
        raise OrgError(f"currency: {exc}") from None
    if len(country) != 2 or not country.isalpha():
        raise OrgError(f"country {country!r} is not a two-letter ISO 3166 code")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OrgError(f"time zone {timezone!r} is not known (use e.g. Europe/London)") from None
    if Organization.objects.filter(slug=slug).exists():
        raise OrgError(f"an organization with slug {slug!r} already exists")
    org = Organization.objects.create(
        slug=slug, legal_name=legal_name, base_currency=currency.upper(), country=country.upper(),
        region=region.upper(), timezone=timezone, locale=locale, **details,
    )
    org.default_terms = PaymentTerms.objects.create(org=org, name="Net 30", net_days=30)
    org.save(update_fields=["default_terms"])
    audit.record(org=org, actor=actor, at=now, verb="org.created", subject=org, summary=f"Organization {slug} created")
    return org


@transaction.atomic
def member_add(*, org: Organization, username: str, role: str, actor: Actor, now: datetime,
               password: str | None = None, email: str = "") -> Membership:
    """Give a user (created if new) a role in an organization."""
    if role not in Role.values:
        raise OrgError(f"role {role!r} is not one of {', '.join(Role.values)}")
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created or password:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    membership, _ = Membership.objects.update_or_create(org=org, user=user, defaults={"role": role})
    audit.record(org=org, actor=actor, at=now, verb="member.added", subject=membership,
                 summary=f"{username} may work in {org.slug} as {role}")
    return membership
