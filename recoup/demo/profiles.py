"""Who the demo business's customers are and how each of them pays: a seeded plan.

Pure: no database, no clock. ``plan_demo`` turns a seed, a customer count, a
number of years and "today" into customers, invoices and dated movements
(payments, credit notes, late fees, write-offs) that ``recoup.demo.history``
writes through the ledger actions. Nothing is dated after today, so invoices
whose payment would come later are simply still open. A few invoices are left
unpaid on purpose so that today's reminders, the drafts waiting for review and
the call on the list fall on the right days (``TODAYS_WORK``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from recoup.core.terms import Terms, due_date

D = Decimal


class Behaviour(StrEnum):
    PROMPT = "prompt"  # pays around the due date
    LATE = "late"  # always pays, always weeks late
    CHRONIC = "chronic"  # pays months late or never; gets late fees and write-offs
    PARTIAL = "partial"  # pays part on time, the rest later
    CREDITED = "credited"  # often gets credit notes for snags and returns
    DISCOUNTER = "discounter"  # takes the 2/10 early-settlement discount


# Terms the demo organization offers besides its default "Net 30".
EXTRA_TERMS: dict[str, dict] = {
    "Net 14": {"net_days": 14},
    "30 days EOM": {"net_days": 30, "end_of_month": True},
    "2/10 net 30": {"net_days": 30, "discount_percent": D("2"), "discount_days": 10},
}

# (description, lowest and highest unit price in pounds, lowest and highest quantity)
CATALOGUE = [
    ("Bespoke oak staircase", 2400, 6800, 1, 1),
    ("Sash window refurbishment", 380, 950, 2, 8),
    ("Fitted wardrobes", 1200, 3800, 1, 2),
    ("Kitchen cabinetry, supplied and fitted", 3500, 11000, 1, 1),
    ("Internal oak door, supplied and hung", 320, 540, 3, 12),
    ("Skirting and architrave, per metre", 14, 28, 20, 120),
    ("Site survey and drawings", 180, 450, 1, 1),
    ("Shopfront joinery", 2800, 9000, 1, 1),
    ("Reception desk", 1900, 5200, 1, 1),
    ("Hardwood decking, per square metre", 85, 140, 10, 40),
    ("Repair call-out", 95, 240, 1, 3),
    ("Built-in bookcases", 900, 2600, 1, 3),
]

_TOWNS = ["Harrow", "Kestrel", "Beacon", "Thornbury", "Ashdown", "Wexcombe", "Millbrook", "Redcliffe",
          "Fenwick", "Oakham", "Calder", "Brampton", "Greywell", "Hollins", "Larkfield", "Stanmore",
          "Whitcombe", "Ravensworth", "Elmstead", "Northgate", "Copperfield", "Marlow", "Sandown", "Tilbury"]
_TRADES = ["Builders Ltd", "Interiors Ltd", "Property Management", "Architects LLP", "Developments Ltd",
           "Homes Ltd", "Lettings", "Hotel Group", "Design Studio", "Construction plc", "Estates", "Cafe & Bakery"]
_FIRST = ["Amelia", "Oliver", "Priya", "Tom", "Grace", "Hamza", "Isla", "Jack", "Chloe", "Daniel", "Fatima",
          "George", "Hannah", "Imran", "Lucy", "Michael", "Nadia", "Owen", "Ruth", "Sam", "Zoe", "Ben"]
_LAST = ["Patel", "Hughes", "Okafor", "Bennett", "Walsh", "Kowalski", "Murray", "Shah", "Evans", "Clarke",
         "Reid", "Turner", "Ahmed", "Price", "Lloyd", "Doyle", "Fraser", "Khan", "Morgan", "Hart"]
_FOREIGN = [  # (country, currency, timezone, language, name)
    ("IE", "EUR", "Europe/Dublin", "en", "Liffey Hospitality Ltd"),
    ("US", "USD", "America/New_York", "en", "Hudson & Pike Hospitality LLC"),
    ("FR", "EUR", "Europe/Paris", "fr", "Atelier Morel SARL"),
    ("NL", "EUR", "Europe/Amsterdam", "nl", "Van Dijk Interieurbouw BV"),
    ("US", "USD", "America/Chicago", "en", "Lakeshore Boutique Hotels Inc"),
]
_SNAGS = ["Damaged panel replaced at our cost", "Returned unused hardware", "Agreed price adjustment",
          "Late completion goodwill credit", "Duplicate line on invoice"]


@dataclass(frozen=True)
class ContactPlan:
    name: str
    role: str
    email: str
    phone: str
    preferred_channel: str = "email"
    is_billing: bool = True
    postal_address: str = ""


@dataclass(frozen=True)
class CustomerPlan:
    ref: str
    kind: str
    legal_name: str
    behaviour: Behaviour
    currencies: tuple[str, ...]
    country: str = "GB"
    timezone: str = "Europe/London"
    language: str = "en"
    terms: str | None = None  # None: the organization's default
    credit_limit_minor: int | None = None
    notes: str = ""
    contacts: tuple[ContactPlan, ...] = ()
    pays_on_account: bool = False  # pays without naming the invoice


@dataclass(frozen=True)
class LinePlan:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class InvoicePlan:
    number: str
    customer_ref: str
    issue_date: date
    due_date: date
    currency: str
    lines: tuple[LinePlan, ...]
    po_number: str = ""


class MoveKind(StrEnum):
    CHARGE = "charge"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    WRITE_OFF = "write_off"


@dataclass(frozen=True)
class Move:
    """A dated movement on one invoice; ``share`` of its total, or None for all still open."""

    on: date
    kind: MoveKind
    invoice_number: str
    share: Decimal | None = None
    fixed_minor: int | None = None  # an absolute amount instead of a share (fees)
    extra_minor: int = 0  # paid on top of the amount: an overpayment left on account
    text: str = ""
    named: bool = True


@dataclass
class DemoPlan:
    customers: list[CustomerPlan] = field(default_factory=list)
    invoices: list[InvoicePlan] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    unpaid: dict[str, str] = field(default_factory=dict)  # invoice number -> its role in today's work


def _phone(rng: random.Random, mobile: bool) -> str:
    # Ofcom's ranges reserved for drama: never a real subscriber.
    return f"+44 7700 900{rng.randint(0, 999):03d}" if mobile else f"+44 1632 960{rng.randint(0, 999):03d}"


def _slug(name: str) -> str:
    return "".join(c for c in name.lower().replace("&", "and") if c.isalnum())[:24]


def _behaviour(rng: random.Random) -> Behaviour:
    return rng.choices(list(Behaviour), weights=[50, 18, 7, 10, 9, 6])[0]


def _customer(rng: random.Random, i: int, used: set[str]) -> CustomerPlan:
    ref = f"C{i:04d}"
    behaviour = _behaviour(rng)
    if i % 10 == 5 and (i // 10) < len(_FOREIGN):
        country, currency, tz, lang, name = _FOREIGN[i // 10]
        # The Irish customer is also billed in sterling for work on its Belfast site.
        currencies = (currency, "GBP") if country == "IE" else (currency,)
        contact = ContactPlan(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", "Accounts payable",
                              f"ap@{_slug(name)}.example", f"+1 555 01{rng.randint(0, 99):02d}"
                              if country == "US" else "")
        return CustomerPlan(ref, "business", name, behaviour, currencies, country, tz, lang,
                            contacts=(contact,), credit_limit_minor=2_000_000)
    if rng.random() < 0.3:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        name = f"{first} {last}"
        while name in used:
            name = f"{rng.choice(_FIRST)} {last}"
        used.add(name)
        mobile = _phone(rng, True)
        contact = ContactPlan(name, "", f"{first.lower()}.{last.lower()}@mail.example", mobile,
                              preferred_channel=rng.choice(["email", "email", "sms"]))
        if behaviour == Behaviour.DISCOUNTER:  # households are not offered the discount
            behaviour = Behaviour.PROMPT
        return CustomerPlan(ref, "consumer", name, behaviour, ("GBP",), terms="Net 14", contacts=(contact,))
    name = f"{rng.choice(_TOWNS)} {rng.choice(_TRADES)}"
    while name in used:
        name = f"{rng.choice(_TOWNS)} {rng.choice(_TRADES)}"
    used.add(name)
    domain = f"{_slug(name)}.example"
    contacts = [ContactPlan(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", "Accounts payable",
                            f"accounts@{domain}", _phone(rng, False))]
    if rng.random() < 0.5:
        contacts.append(ContactPlan(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", "Site manager",
                                    f"site@{domain}", _phone(rng, True), "phone", is_billing=False))
    terms = "2/10 net 30" if behaviour == Behaviour.DISCOUNTER else rng.choice([None, None, None, "30 days EOM"])
    return CustomerPlan(ref, "business", name, behaviour, ("GBP",), terms=terms, contacts=tuple(contacts),
                        credit_limit_minor=rng.choice([None, 500_000, 1_000_000, 2_500_000]),
                        pays_on_account=rng.random() < 0.15)


def _issue_dates(rng: random.Random, c: CustomerPlan, start: date, today: date) -> list[date]:
    first = start + timedelta(days=rng.randint(0, max(1, (today - start).days // 2)))
    if c.kind == "consumer":
        jobs = rng.randint(1, 3)
        span = max(1, (today - first).days)
        return sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(jobs))
    gap = rng.choice([(18, 40), (30, 60), (60, 140)])
    dates, day = [], first
    while day <= today:
        dates.append(day)
        day += timedelta(days=rng.randint(*gap))
    return dates


def _lines(rng: random.Random, c: CustomerPlan, currency: str) -> tuple[LinePlan, ...]:
    tax = D("20") if c.country == "GB" else D("0")
    out = []
    for description, lo, hi, qlo, qhi in rng.sample(CATALOGUE, rng.choice([1, 1, 2, 3])):
        price = D(f"{rng.randint(lo, hi)}.{rng.choice(['00', '00', '50', '95'])}")
        out.append(LinePlan(description, D(rng.randint(qlo, qhi)), price, tax))
    return tuple(out)


def _moves(rng: random.Random, c: CustomerPlan, inv: InvoicePlan, today: date) -> list[Move]:
    n, due, issue = inv.number, inv.due_date, inv.issue_date
    b = c.behaviour
    pay = dict(kind=MoveKind.PAYMENT, invoice_number=n, named=not c.pays_on_account)
    out: list[Move] = []
    if b == Behaviour.PROMPT:
        out.append(Move(due + timedelta(days=rng.randint(-12, 4)), **pay))
    elif b == Behaviour.LATE:
        out.append(Move(due + timedelta(days=rng.randint(10, 75)), **pay))
    elif b == Behaviour.PARTIAL:
        out.append(Move(due + timedelta(days=rng.randint(-3, 15)), share=D(rng.choice(["0.4", "0.5", "0.6"])), **pay))
        out.append(Move(due + timedelta(days=rng.randint(30, 100)), **pay))
    elif b == Behaviour.CREDITED:
        if rng.random() < 0.3:
            out.append(Move(issue + timedelta(days=rng.randint(5, 25)), MoveKind.CREDIT_NOTE, n,
                            share=D(rng.choice(["0.1", "0.25", "1"])), text=rng.choice(_SNAGS)))
        out.append(Move(due + timedelta(days=rng.randint(-5, 20)), **pay))
    elif b == Behaviour.DISCOUNTER:
        early = issue + timedelta(days=rng.randint(4, 10))
        out.append(Move(early, share=D("0.98"), **pay))
        out.append(Move(early, MoveKind.CREDIT_NOTE, n, text="Early settlement discount (2/10 net 30)"))
    else:  # chronic
        if c.kind == "business" and inv.currency == "GBP":
            out.append(Move(due + timedelta(days=31), MoveKind.CHARGE, n, fixed_minor=rng.choice([4000, 7000]),
                            text="Fixed compensation, Late Payment of Commercial Debts Act"))
        if rng.random() < 0.55:
            out.append(Move(due + timedelta(days=rng.randint(90, 240)), **pay))
        else:
            out.append(Move(due + timedelta(days=300), MoveKind.WRITE_OFF, n,
                            text="No response to letters; uneconomic to pursue"))
    return [m for m in out if m.on <= today]


def plan_demo(*, seed: int, customers: int, years: int, today: date) -> DemoPlan:
    """The whole demo as data: same arguments, same plan."""
    if customers < 1 or years < 1:
        raise ValueError("the demo needs at least one customer and one year")
    rng = random.Random(seed)
    plan = DemoPlan()
    used: set[str] = set()
    plan.customers = [_customer(rng, i, used) for i in range(1, customers + 1)]
    start = today - timedelta(days=365 * years)
    terms = {name: Terms(name=name, **kw) for name, kw in EXTRA_TERMS.items()}
    drafts = []
    for c in plan.customers:
        for k, issued in enumerate(_issue_dates(rng, c, start, today)):
            currency = c.currencies[k % len(c.currencies)]
            due = due_date(issued, terms[c.terms] if c.terms else Terms())
            po = f"PO-{rng.randint(1000, 99999)}" if c.kind == "business" and rng.random() < 0.4 else ""
            drafts.append((issued, c, currency, due, _lines(rng, c, currency), po, ""))
    drafts += _todays_work(random.Random(f"{seed}:today"), plan.customers, today)
    drafts.sort(key=lambda d: (d[0], d[1].ref))
    by_ref = {c.ref: c for c in plan.customers}
    for number, (issued, c, currency, due, lines, po, role) in enumerate(drafts, start=10001):
        inv = InvoicePlan(f"INV-{number}", c.ref, issued, due, currency, lines, po)
        plan.invoices.append(inv)
        if role:
            plan.unpaid[inv.number] = role
        else:
            plan.moves.extend(_moves(rng, by_ref[c.ref], inv, today))
    _add_overpayments(rng, plan, today)
    return plan


# Invoices left unpaid so that a step falls on a given day: (role, customer kind, days before ``today`` -
# or, for "call", before the last working day - the invoice fell due). Business (default policy, Net 30):
# "reminder" fell due 3 days ago, its first reminder is due today; the "draft" ones 15 and 16 days ago, their
# second reminder was due yesterday and the day before (drafts for review, see ``story``); "call" 21 days
# before the last working day, its call was due then (still on the call list). Consumer (Net 14):
# "consumer-reminder" fell due 21 days ago, its second reminder (e-mail and SMS) is due today.
TODAYS_WORK = (("reminder", "business", 3), ("draft", "business", 15), ("draft", "business", 16),
               ("call", "business", 21), ("consumer-reminder", "consumer", 21))


def last_working_day(today: date) -> date:
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _todays_work(rng: random.Random, customers: list[CustomerPlan], today: date) -> list[tuple]:
    """Unpaid invoices for reliable payers (so nothing else holds them) whose steps fall on the last days."""
    steady = [c for c in customers if c.country == "GB" and not c.pays_on_account and c.behaviour in
              (Behaviour.PROMPT, Behaviour.CREDITED, Behaviour.LATE)]
    steady.sort(key=lambda c: (c.behaviour != Behaviour.PROMPT, c.ref))
    out, used = [], set()
    for role, kind, days in TODAYS_WORK:
        terms = "Net 14" if kind == "consumer" else None
        c = next((c for c in steady if c.kind == kind and c.terms == terms and c.ref not in used), None)
        if c is None:
            continue
        used.add(c.ref)
        due = (last_working_day(today) if role == "call" else today) - timedelta(days=days)
        issued = due - timedelta(days=14 if terms else 30)
        out.append((issued, c, "GBP", due, _lines(rng, c, "GBP"), "", role))
    return out


def _add_overpayments(rng: random.Random, plan: DemoPlan, today: date) -> None:
    """Two prompt payers paid a little too much once: credit left on account."""
    prompt = [c.ref for c in plan.customers if c.behaviour == Behaviour.PROMPT and c.kind == "business"]
    chosen = set(rng.sample(prompt, min(2, len(prompt))))
    numbers = {i.number for i in plan.invoices if i.customer_ref in chosen and i.due_date < today - timedelta(days=60)}
    done: set[str] = set()
    for k, m in enumerate(plan.moves):
        ref = m.invoice_number in numbers and next(i.customer_ref for i in plan.invoices
                                                   if i.number == m.invoice_number)
        if ref and ref not in done and m.kind == MoveKind.PAYMENT and m.share is None:
            plan.moves[k] = replace(m, extra_minor=rng.choice([5000, 12000]), named=True)
            done.add(ref)
