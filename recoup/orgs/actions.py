"""Use cases for organizations and who works in them."""

from __future__ import annotations

from datetime import datetime, time as dt_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from stdnum import bic, iban
from stdnum.exceptions import ValidationError as NumberError

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import minor_exponent
from recoup.core.text import control_characters, describe
from recoup.ledger.models import Invoice, Payment, PaymentTerms
from recoup.orgs.models import Membership, Organization, PaymentOrder, Role, SendMode, slug_validator


class OrgError(ValueError):
    """An organization request Recoup refuses, with a message for the operator."""


def locale_for_country(country: str) -> str:
    """The likeliest locale of a country (CLDR likely subtags): GB en_GB, DE de_DE, CH de_CH; else "en"."""
    try:
        return str(Locale.parse(f"und_{country.upper()}"))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en"


def _checked_locale(locale: str) -> str:
    try:
        return str(Locale.parse(locale.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError, AttributeError):
        raise OrgInputError("locale", f"locale {locale!r} is not known (use e.g. en, en_GB, de_DE)") from None


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
    """Create an organization with a default "Net 30" payment terms row.

    ``locale`` (e.g. en_GB) decides how amounts and dates are shown, and the order of day and
    month in imported dates like 03/04/2026.
    """
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
    locale = _checked_locale(locale)
    if Organization.objects.filter(slug=slug).exists():
        raise OrgError(f"an organization with slug {slug!r} already exists")
    for field, value in {"legal_name": legal_name, **details}.items():
        if isinstance(value, str):
            _check_characters(field, value)
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


# --- Settings and members, as the web settings pages change them -------------------------------

ORG_FIELDS = (
    "legal_name", "address", "country", "region", "base_currency", "timezone", "locale", "sender_email",
    "sender_phone", "bank_name", "bank_iban", "bank_bic", "bank_account", "tax_id", "default_terms",
    "cycle_time", "require_owner_2fa", "collector_write_off_limit_minor",
    "send_mode", "draft_expiry_days", "send_window_start", "send_window_end", "send_window_weekdays",
    "manual_contact_quiet_days", "payment_order",
)


class OrgInputError(OrgError):
    """Refused settings input, naming the field it is about (``field``) so a form can show it there."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _check_characters(field: str, value: str) -> None:
    """Refuse control characters (line breaks too, but in the address): names reach e-mail headers."""
    found = control_characters(value, allow="\r\n" if field == "address" else "")
    if found:
        raise OrgInputError(field, f"{field.replace('_', ' ')} contains {describe(found)}; "
                                   "type it on one line, without control characters")


def _org_values(org: Organization, fields: dict) -> dict:
    """Stripped, normalized and checked values; raises OrgInputError naming the field."""
    unknown = set(fields) - set(ORG_FIELDS)
    if unknown:
        raise TypeError(f"not organization fields: {', '.join(sorted(unknown))}")
    values = {k: v.strip() if isinstance(v, str) and k != "address" else v for k, v in fields.items()}
    for field, value in values.items():
        if isinstance(value, str):
            _check_characters(field, value)
    for field in ("country", "region", "base_currency", "bank_bic"):
        if field in values:
            values[field] = values[field].upper()
    for field, number, what in (("bank_iban", iban, "IBAN"), ("bank_bic", bic, "BIC")):
        if values.get(field):
            try:
                values[field] = number.validate(values[field])
            except NumberError as exc:
                raise OrgInputError(field, f"{values[field]!r} is not a valid {what}: {exc}") from None
    if "legal_name" in values and not values["legal_name"]:
        raise OrgInputError("legal_name", "the organization needs a legal name")
    country = values.get("country")
    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise OrgInputError("country", f"{country!r} is not a two-letter ISO 3166 code (e.g. GB)")
    if values.get("base_currency", org.base_currency) != org.base_currency:
        try:
            minor_exponent(values["base_currency"])
        except ValueError as exc:
            raise OrgInputError("base_currency", f"currency: {exc}") from None
        if Invoice.objects.for_org(org).exists() or Payment.objects.for_org(org).exists():
            raise OrgInputError("base_currency", f"the base currency stays {org.base_currency}: this organization "
                                "already has invoices or payments, and its balances, credit limits and reports "
                                "are kept in that currency")
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise OrgInputError("timezone", f"time zone {values['timezone']!r} is not known "
                                            "(use e.g. Europe/London)") from None
    if "locale" in values:
        values["locale"] = _checked_locale(values["locale"])
    if values.get("sender_email"):
        try:
            validate_email(values["sender_email"])
        except ValidationError:
            raise OrgInputError("sender_email", f"{values['sender_email']!r} is not an e-mail address") from None
    for field, value in values.items():
        limit = getattr(Organization._meta.get_field(field), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise OrgInputError(field, f"{field.replace('_', ' ')} is longer than {limit} characters")
    if "cycle_time" in values and not isinstance(values["cycle_time"], dt_time):
        raise OrgInputError("cycle_time", "the daily cycle time must be a time of day, e.g. 07:00")
    _check_sending(org, values)
    terms = values.get("default_terms")
    if terms is not None and (not isinstance(terms, PaymentTerms) or terms.org_id != org.pk):
        raise OrgInputError("default_terms", "the default terms must be payment terms of this organization")
    return values


def _check_sending(org: Organization, values: dict) -> None:
    for field, choices in (("send_mode", SendMode), ("payment_order", PaymentOrder)):
        if field in values and values[field] not in choices.values:
            raise OrgInputError(field, f"{values[field]!r} is not one of {', '.join(repr(c) for c in choices.values)}")
    for field in ("send_window_start", "send_window_end"):
        if field in values and not isinstance(values[field], dt_time):
            raise OrgInputError(field, "the send window is given as times of day, e.g. 09:00 and 12:00")
    start = values.get("send_window_start", org.send_window_start)
    end = values.get("send_window_end", org.send_window_end)
    if start >= end:
        raise OrgInputError("send_window_end", f"the send window must end after it starts ({start:%H:%M})")
    days = values.get("send_window_weekdays")
    if days is not None:
        if not days or any(d not in "1234567" for d in days) or len(set(days)) != len(days):
            raise OrgInputError("send_window_weekdays", f"{days!r}: list the weekdays as digits 1 (Monday) to 7 "
                                                        "(Sunday), each once, e.g. 12345")
        values["send_window_weekdays"] = "".join(sorted(days))
    for field, least, most in (("draft_expiry_days", 1, 60), ("manual_contact_quiet_days", 0, 60)):
        if field in values and not (isinstance(values[field], int) and least <= values[field] <= most):
            raise OrgInputError(field, f"{field.replace('_', ' ')} must be a whole number from {least} to {most}")


@transaction.atomic
def org_update(*, org: Organization, actor: Actor, now: datetime, **fields) -> Organization:
    """Change some of an organization's settings (``ORG_FIELDS``).

    Validates every value (raising ``OrgInputError`` naming the field), saves
    only the fields that change and records ``org.updated`` with their values
    before and after. The base currency cannot change once the organization has
    invoices or payments. Changing nothing writes nothing.
    """
    values = _org_values(org, fields)
    changes = {k: (getattr(org, k), v) for k, v in values.items() if getattr(org, k) != v}
    if not changes:
        return org
    for field, (_, new) in changes.items():
        setattr(org, field, new)
    org.save(update_fields=list(changes))

    def shown(value):
        if isinstance(value, PaymentTerms):
            return value.name
        return value.isoformat() if isinstance(value, dt_time) else value

    audit.record(org=org, actor=actor, at=now, verb="org.updated", subject=org,
                 summary=f"Settings of {org.slug} changed: {', '.join(k.replace('_', ' ') for k in changes)}",
                 data={"before": {k: shown(old) for k, (old, _) in changes.items()},
                       "after": {k: shown(new) for k, (_, new) in changes.items()}})
    return org


def _check_member(org: Organization, membership: Membership) -> None:
    if membership.org_id != org.pk:
        raise OrgError(f"{membership.user} is not a member of {org.slug}")


def _other_owners(org: Organization, membership: Membership) -> int:
    # Lock the owners' rows so two owners cannot demote each other at the same time.
    owners = list(Membership.objects.select_for_update(no_key=True).filter(org=org, role=Role.OWNER).values_list("pk", flat=True))
    return len([pk for pk in owners if pk != membership.pk])


@transaction.atomic
def member_set_role(*, org: Organization, membership: Membership, role: str, actor: Actor,
                    now: datetime) -> Membership:
    """Change a member's role; the last owner cannot be demoted."""
    _check_member(org, membership)
    if role not in Role.values:
        raise OrgInputError("role", f"role {role!r} is not one of {', '.join(Role.values)}")
    before = membership.role
    if role == before:
        return membership
    if before == Role.OWNER and _other_owners(org, membership) == 0:
        raise OrgInputError("role", f"{membership.user} is the last owner of {org.slug}; "
                                    "make someone else owner first")
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(org=org, actor=actor, at=now, verb="member.role_changed", subject=membership,
                 summary=f"{membership.user} now works in {org.slug} as {role} (was {before})",
                 data={"before": {"role": before}, "after": {"role": role}})
    return membership


@transaction.atomic
def member_remove(*, org: Organization, membership: Membership, actor: Actor, now: datetime) -> None:
    """Take a user out of an organization (the user account stays); the last owner cannot be removed."""
    _check_member(org, membership)
    if membership.role == Role.OWNER and _other_owners(org, membership) == 0:
        raise OrgInputError("membership", f"{membership.user} is the last owner of {org.slug}; "
                                          "make someone else owner first")
    username, role, pk = membership.user.get_username(), membership.role, membership.pk
    membership.delete()
    membership.pk = pk  # so the event names the row that was removed
    audit.record(org=org, actor=actor, at=now, verb="member.removed", subject=membership,
                 summary=f"{username} no longer works in {org.slug}",
                 data={"before": {"user": username, "role": role}, "after": {}})
