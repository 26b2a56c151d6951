"""Use cases that change customers and their contacts; the only code that writes them.

Each action takes the organization, who acts and the time (``now``), checks
that every row it touches belongs to that organization, validates its input
(raising ``CustomerInputError`` naming the field), writes inside one
transaction and records an audit event with the changed fields before and
after. An update that changes nothing writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from datetime import datetime
from typing import Any, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import from_minor
from recoup.ledger.actions import LedgerError
from recoup.ledger.guards import customer_edit_refusal
from recoup.ledger.models import Channel, Contact, Customer, CustomerKind, CustomerStatus, PaymentTerms
from recoup.orgs.models import Organization, check_same_org

CUSTOMER_FIELDS = (
    "ref", "kind", "legal_name", "display_name", "country", "region", "timezone", "language",
    "credit_limit_minor", "default_terms", "status", "notes",
)
CONTACT_FIELDS = (
    "name", "role", "email", "phone", "postal_address", "preferred_channel",
    "opt_out_email", "opt_out_sms", "opt_out_letter", "opt_out_phone", "is_billing",
)
_MAX_LENGTH = {"ref": 64, "legal_name": 200, "display_name": 200, "region": 10, "timezone": 64, "language": 16,
               "name": 200, "role": 100, "email": 254, "phone": 32}


class CustomerInputError(LedgerError):
    """Refused input, naming the field it is about (``field``) for forms and import rows."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=LedgerError)


def _strip(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) and k not in ("notes", "postal_address") else v for k, v in values.items()}


def _check_lengths(values: dict[str, Any]) -> None:
    for field, limit in _MAX_LENGTH.items():
        value = values.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise CustomerInputError(field, f"{field.replace('_', ' ')} is longer than {limit} characters")


def _check_customer(org: Organization, values: dict[str, Any], customer: Customer | None,
                    taken_refs: set[str] | None = None) -> None:
    """Refuse bad ``values``; ``taken_refs``, when given, are the references already used (read
    once for a batch) instead of a query for this one."""
    unknown = set(values) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"not customer fields: {', '.join(sorted(unknown))}")
    _check_lengths(values)
    if "ref" in values and taken_refs is not None:
        if not values["ref"]:
            raise CustomerInputError("ref", "a customer needs a reference")
        if values["ref"] in taken_refs:
            raise CustomerInputError("ref", f"customer reference {values['ref']} is already used")
    elif "ref" in values:
        if not values["ref"]:
            raise CustomerInputError("ref", "a customer needs a reference")
        same_ref = Customer.objects.for_org(org).filter(ref=values["ref"])
        if customer is not None:
            same_ref = same_ref.exclude(pk=customer.pk)
        if same_ref.exists():
            raise CustomerInputError("ref", f"customer reference {values['ref']} is already used")
    if "legal_name" in values and not values["legal_name"]:
        raise CustomerInputError("legal_name", "a customer needs a legal name")
    if "kind" in values and values["kind"] not in CustomerKind.values:
        raise CustomerInputError("kind", f"{values['kind']!r} is not business or consumer")
    if "status" in values and values["status"] not in CustomerStatus.values:
        raise CustomerInputError("status", f"{values['status']!r} is not a customer status")
    country = values.get("country")
    if country and not (len(country) == 2 and country.isalpha() and country.isupper()):
        raise CustomerInputError("country", f"{country!r} is not a two-letter ISO 3166 code (e.g. GB)")
    if values.get("timezone"):
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CustomerInputError("timezone", f"{values['timezone']!r} is not a known time zone "
                                                 "(e.g. Europe/London)") from None
    limit = values.get("credit_limit_minor")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise CustomerInputError("credit_limit_minor", "the credit limit must be zero or more")
    terms = values.get("default_terms")
    if terms is not None:
        if not isinstance(terms, PaymentTerms):
            raise TypeError("default_terms must be a PaymentTerms or None")
        _same_org(org, terms)


def _check_editable(customer: Customer, contact: Contact | None, fields: set[str]) -> None:
    """Refuse a change a registered guard refuses (the details of a customer from the books are
    changed there), naming the field."""
    refused = customer_edit_refusal(customer, contact, fields)
    if refused is None:
        return
    field, reason = refused
    what = f"contact {contact.name} of {customer.ref}" if contact is not None else f"customer {customer.ref}"
    if field == "delete":
        raise LedgerError(f"{what}: removing it refused, it {reason}")
    raise CustomerInputError(field, f"{what}: {field.replace('_', ' ')} refused, it {reason}")


def _shown(org: Organization, field: str, value: Any) -> Any:
    """A field's value as the audit log keeps it: JSON-safe and readable."""
    if field == "credit_limit_minor":
        return None if value is None else str(from_minor(value, org.base_currency))
    if isinstance(value, PaymentTerms):
        return value.name
    return value


def _diff(obj: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (getattr(obj, k), v) for k, v in values.items() if getattr(obj, k) != v}


def _audit_data(org: Organization, changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {"before": {k: _shown(org, k, old) for k, (old, _) in changes.items()},
            "after": {k: _shown(org, k, new) for k, (_, new) in changes.items()}}


@transaction.atomic
def customer_create(
    *, org: Organization, ref: str, legal_name: str, actor: Actor, now: datetime, via: str = "", **fields: Any
) -> Customer:
    """Create a customer; ``fields`` are any other of ``CUSTOMER_FIELDS``.

    ``via`` ("import", ...) only words the audit summary.
    """
    values = _strip({"ref": ref, "legal_name": legal_name, **fields})
    _check_customer(org, values, None)
    customer = Customer.objects.create(org=org, **values)
    blank = Customer(org=org)
    changes = {k: (getattr(blank, k), v) for k, v in values.items() if getattr(blank, k) != v}
    audit.record(org=org, actor=actor, at=now, verb="customer.created", subject=customer, customer=customer,
                 summary=f"Customer {customer.ref} ({customer.name}) created" + (f" by {via}" if via else ""),
                 data=_audit_data(org, changes))
    return customer


@transaction.atomic
def customer_update(
    *, org: Organization, customer: Customer, actor: Actor, now: datetime, via: str = "", **fields: Any
) -> Customer:
    """Change some of a customer's ``CUSTOMER_FIELDS``; returns the customer, saved if anything changed."""
    _same_org(org, customer)
    values = _strip(fields)
    _check_customer(org, values, customer)
    changes = _diff(customer, values)
    if not changes:
        return customer
    _check_editable(customer, None, set(changes))
    for k, (_, new) in changes.items():
        setattr(customer, k, new)
    customer.save(update_fields=list(changes))
    audit.record(org=org, actor=actor, at=now, verb="customer.updated", subject=customer, customer=customer,
                 summary=f"Customer {customer.ref} updated" + (f" by {via}" if via else "")
                 + f": {', '.join(k.replace('_minor', '').replace('_', ' ') for k in changes)}",
                 data=_audit_data(org, changes))
    return customer


def _check_contact(values: dict[str, Any], current: Contact | None) -> None:
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"not contact fields: {', '.join(sorted(unknown))}")
    _check_lengths(values)
    if "name" in values and not values["name"]:
        raise CustomerInputError("name", "a contact needs a name")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            raise CustomerInputError("email", f"{values['email']!r} is not an e-mail address") from None
    channel = values.get("preferred_channel", current.preferred_channel if current else Channel.EMAIL)
    if channel not in Channel.values:
        raise CustomerInputError("preferred_channel", f"{channel!r} is not a channel")
    opted_out = values.get(f"opt_out_{channel}", getattr(current, f"opt_out_{channel}", False))
    if opted_out:
        raise CustomerInputError("preferred_channel", f"the preferred channel ({channel}) is opted out")


@transaction.atomic
def contact_save(
    *, org: Organization, customer: Customer, actor: Actor, now: datetime, contact: Contact | None = None,
    via: str = "", **fields: Any,
) -> Contact:
    """Add a contact to a customer (``contact`` None) or change one of its contacts.

    ``fields`` are any of ``CONTACT_FIELDS``; a new contact needs ``name``.
    """
    _same_org(org, customer, contact)
    if contact is not None and contact.customer_id != customer.pk:
        raise LedgerError(f"contact {contact} belongs to another customer")
    values = _strip(fields)
    if contact is None:
        values.setdefault("name", "")
    _check_contact(values, contact)
    if contact is None:
        contact = Contact.objects.create(org=org, customer=customer, **values)
        blank = Contact(org=org, customer=customer)
        changes = {k: (getattr(blank, k), v) for k, v in values.items() if getattr(blank, k) != v}
        verb, what = "contact.added", "added"
    else:
        changes = _diff(contact, values)
        if not changes:
            return contact
        _check_editable(customer, contact, set(changes))
        for k, (_, new) in changes.items():
            setattr(contact, k, new)
        contact.save(update_fields=list(changes))
        verb, what = "contact.updated", "updated"
    audit.record(org=org, actor=actor, at=now, verb=verb, subject=contact, customer=customer,
                 summary=f"Contact {contact.name} of {customer.ref} {what}" + (f" by {via}" if via else ""),
                 data=_audit_data(org, changes))
    return contact


@transaction.atomic
def contact_delete(*, org: Organization, contact: Contact, actor: Actor, now: datetime) -> None:
    """Remove a contact; the audit event keeps what it held."""
    _same_org(org, contact)
    customer = contact.customer
    _check_editable(customer, contact, {"delete"})
    kept = {k: getattr(contact, k) for k in CONTACT_FIELDS}
    contact_id = contact.pk
    contact.delete()
    contact.pk = contact_id  # so the event names the row that was removed
    audit.record(org=org, actor=actor, at=now, verb="contact.removed", subject=contact, customer=customer,
                 summary=f"Contact {kept['name']} of {customer.ref} removed",
                 data={"before": kept, "after": {}})


def contact_check(**fields: Any) -> None:
    """Raise CustomerInputError naming the field when ``fields`` would be refused for a new contact."""
    values = _strip(fields)
    values.setdefault("name", "")
    _check_contact(values, None)


@dataclass(frozen=True)
class NewCustomer:
    """One customer for ``customers_create_many``: ``customer_create``'s arguments, and the fields
    of its first contact (none when empty)."""

    ref: str
    legal_name: str
    fields: dict[str, Any] = dataclass_field(default_factory=dict)
    contact: dict[str, Any] = dataclass_field(default_factory=dict)


@transaction.atomic
def customers_create_many(*, org: Organization, items: Sequence[NewCustomer], actor: Actor, now: datetime,
                          via: str = "") -> list[Customer]:
    """Create many customers, each with its first contact, as ``customer_create`` then
    ``contact_save`` would one after another (the same rows and events, in the same order), in a
    few statements for all (a first sync's 2,000 contacts).

    Raises:
        CustomerInputError naming the field (and the reference) when one is refused, a reference
        already used or repeated in the batch included; nothing is written then.
    """
    if not items:
        return []
    taken = set(Customer.objects.for_org(org).filter(ref__in={i.ref.strip() for i in items}).order_by()
                .values_list("ref", flat=True))
    planned = []
    for item in items:
        values = _strip({"ref": item.ref, "legal_name": item.legal_name, **item.fields})
        try:
            _check_customer(org, values, None, taken_refs=taken)
            contact = None
            if item.contact:
                contact = _strip(item.contact)
                contact.setdefault("name", "")
                _check_contact(contact, None)
        except CustomerInputError as exc:
            raise CustomerInputError(exc.field, f"customer {values.get('ref') or item.ref}: {exc}") from None
        taken.add(values["ref"])
        planned.append((values, contact))
    customers = Customer.objects.bulk_create([Customer(org=org, **values) for values, _ in planned], batch_size=500)
    contacts = Contact.objects.bulk_create([Contact(org=org, customer=customer, **contact)
                                            for customer, (_, contact) in zip(customers, planned) if contact],
                                           batch_size=500)
    blank_customer, events = Customer(org=org), []
    made = iter(contacts)
    for customer, (values, contact) in zip(customers, planned):
        changes = {k: (getattr(blank_customer, k), v) for k, v in values.items() if getattr(blank_customer, k) != v}
        events.append(audit.Event(at=now, verb="customer.created", subject=customer, customer=customer,
                                  summary=f"Customer {customer.ref} ({customer.name}) created" + (f" by {via}" if via else ""),
                                  data=_audit_data(org, changes)))
        if contact:
            row, blank = next(made), Contact(org=org, customer=customer)
            changes = {k: (getattr(blank, k), v) for k, v in contact.items() if getattr(blank, k) != v}
            events.append(audit.Event(at=now, verb="contact.added", subject=row, customer=customer,
                                      summary=f"Contact {row.name} of {customer.ref} added" + (f" by {via}" if via else ""),
                                      data=_audit_data(org, changes)))
    audit.record_many(org=org, actor=actor, events=events)
    return customers


@transaction.atomic
def customer_assign(*, org: Organization, customer: Customer, user: Any | None, actor: Actor,
                    now: datetime) -> Customer:
    """Give ``customer`` to the collector ``user`` to work (None: nobody). The user must be an owner or a
    collector of ``org``; assigning the same user again writes nothing."""
    from recoup.orgs.models import Membership, Role

    _same_org(org, customer)
    if user is not None:
        membership = Membership.objects.filter(org=org, user=user).first()
        if membership is None or not membership.allows(Role.COLLECTOR):
            raise CustomerInputError("assignee", f"{user} is not an owner or collector of {org.slug}")
    if customer.assignee_id == (user.pk if user else None):
        return customer
    before = customer.assignee.get_username() if customer.assignee_id else ""
    customer.assignee = user
    customer.save(update_fields=["assignee"])
    after = user.get_username() if user else ""
    audit.record(org=org, actor=actor, at=now, verb="customer.assigned", subject=customer, customer=customer,
                 summary=f"Customer {customer.ref} assigned to {after}" if after
                 else f"Customer {customer.ref} no longer assigned to {before}",
                 data={"assignee": [before, after]})
    return customer
