"""Build the demo business in one transaction: its organization, people, customers, then its history.

The ledger plan (``profiles``) and the year's story (``story``) are decided first, as data;
``history`` then writes two years of ledger and a year of collections through the real
actions, in date order, so balances, messages, arrangements and the audit trail are exactly
what real use would leave. Audit events carry the time things happened (never after
``now``), so the timeline reads like two years of history rather than one busy second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from django.contrib.auth import get_user_model
from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.demo.addresses import with_addresses
from recoup.demo.context import Demo
from recoup.demo.history import write_history
from recoup.demo.ledger_moves import LedgerWriter
from recoup.demo.profiles import EXTRA_TERMS, CustomerPlan, plan_demo
from recoup.demo.story import HISTORY_DAYS, plan_story
from recoup.ledger.customer_actions import contact_save, customer_create
from recoup.ledger.models import Customer, PaymentTerms
from recoup.messaging.models import Message
from recoup.orgs.actions import member_add, org_create
from recoup.orgs.models import Organization, Role

ORG_DETAILS = {
    "legal_name": "Oakline Joinery Ltd",
    "currency": "GBP",
    "country": "GB",
    "region": "GB-ENG",
    "timezone": "Europe/London",
    "locale": "en_GB",
    "address": "Unit 4, Tanner's Yard\n18 Mill Lane\nStroud\nGL5 3AB\nUnited Kingdom",
    "sender_email": "accounts@oakline-joinery.example",
    "sender_phone": "+44 1632 960100",
    "bank_name": "Severn Valley Bank",
    "bank_iban": "GB33BUKB20201555555555",
    "bank_bic": "BUKBGB22",
    "bank_account": "Sort code 20-20-15, account 55555555",
    "tax_id": "GB123456789",
}
USERS = [("owner", Role.OWNER), ("collector", Role.COLLECTOR), ("viewer", Role.VIEWER)]


class DemoError(ValueError):
    """The demo cannot be built here, with a message for the operator."""


@dataclass(frozen=True)
class DemoResult:
    org: Organization
    owner: str
    customers: int
    invoices: int
    messages: int = 0  # in and out, over the collections history
    history_days: int = 0


def _at(day: date, now: datetime) -> datetime:
    return min(datetime.combine(day, time(9), tzinfo=timezone.utc), now)


@transaction.atomic
def demo_build(*, today: date, now: datetime, password: str, seed: int = 1, customers: int = 60,
               years: int = 2, slug: str = "oakline", history_days: int = HISTORY_DAYS,
               progress: Callable[[list[date]], Iterable[date]] = iter) -> DemoResult:
    """Create the demo organization, its users, its ledger history up to ``today`` and ``history_days``
    (a year) of collections up to yesterday; today's cycle is left to the scheduler. ``progress`` wraps
    the days of collections (a progress bar on a terminal)."""
    if Organization.objects.filter(slug=slug).exists():
        raise DemoError(f"an organization with slug {slug!r} already exists; pick another with --slug")
    plan = plan_demo(seed=seed, customers=customers, years=years, today=today)
    plan.customers = with_addresses(seed=seed, customers=plan.customers)
    story = plan_story(plan=plan, today=today, years=years, history_days=history_days)
    actor = Actor.system("demo")
    start = _at(plan.invoices[0].issue_date if plan.invoices else today, now)
    details = {k: v for k, v in ORG_DETAILS.items() if k not in ("legal_name", "currency", "country")}
    org = org_create(slug=slug, legal_name=ORG_DETAILS["legal_name"], currency=ORG_DETAILS["currency"],
                     country=ORG_DETAILS["country"], actor=actor, now=start, **details)
    for username, role in USERS:
        member_add(org=org, username=username, role=role, actor=actor, now=now, password=password,
                   email=f"{username}@oakline-joinery.example")
    terms = {"Net 30": org.default_terms}
    for name, kw in EXTRA_TERMS.items():
        terms[name] = PaymentTerms.objects.create(org=org, name=name, **kw)
        audit.record(org=org, actor=actor, at=start, verb="terms.created", subject=terms[name],
                     summary=f"Payment terms {name} created")
    by_ref = {c.ref: _customer_create(org, c, terms, actor, start) for c in plan.customers}
    people = {u.get_username(): Actor.for_user(u) for u in get_user_model().objects.filter(
        memberships__org=org)}
    write_history(Demo(org=org, plan=plan, story=story, seed=seed, today=today, now=now, owner=people["owner"],
                       collector=people["collector"], ledger=LedgerWriter(org=org, customers=by_ref, actor=actor),
                       profiles={c.ref: c for c in plan.customers}), progress)
    return DemoResult(org=org, owner=USERS[0][0], customers=len(by_ref), invoices=len(plan.invoices),
                      messages=Message.objects.for_org(org).count(), history_days=(today - story.start).days)


def _customer_create(org: Organization, c: CustomerPlan, terms: dict, actor: Actor, at: datetime) -> Customer:
    customer = customer_create(
        org=org, ref=c.ref, kind=c.kind, legal_name=c.legal_name, country=c.country, timezone=c.timezone,
        language=c.language, credit_limit_minor=c.credit_limit_minor,
        default_terms=terms[c.terms] if c.terms else None, notes=c.notes, actor=actor, now=at,
    )
    for p in c.contacts:
        contact_save(org=org, customer=customer, actor=actor, now=at, name=p.name, role=p.role, email=p.email,
                     phone=p.phone, preferred_channel=p.preferred_channel, is_billing=p.is_billing,
                     postal_address=p.postal_address)
    return customer
