"""The ledger and the noisy statement of bench/reconcile.py, with the right answer for every line.

Our organization's invoices are numbered densely (INV-0000001, INV-0000002, ...), so a
typo in a number often spells another invoice that exists; the other organization
numbers its invoices the same way, so its customers' payments name numbers we also
have. Customer names come from small word lists: many look alike.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from xml.sax.saxutils import escape

from aging_bench import Inserter

FIRST = ("Northwind Acme Contoso Fabrikam Tailspin Litware Proseware Adventure Wingtip Fourth Lucerne Margie Trey "
         "Woodgrove Alpine Blue Coho Consolidated Graphic Humongous Lamna Liberty Munson Nod Relecloud Southridge "
         "Wide Wolf Baker Carter Dalton Evans Fischer Garcia Hansen Ito Jensen Kowalski Larsen Moreau Novak Olsen "
         "Peters Quinn Rossi Schmidt Tanaka Ueda Vogel Weber Young Zimmer Alder Birch Cedar Elm Maple Oak Pine").split()
SECOND = ("Traders Trading Supplies Supply Systems Solutions Foods Logistics Engineering Electric Motors Media "
          "Design Studio Partners Holdings Industries Services Builders Bakery Farms Textiles Plastics Metals "
          "Robotics Labs Health Dental Legal Consulting Printing Transport Travel Energy Water Garden Homes "
          "Software Networks").split()
SUFFIX = ["Ltd", "Limited", "GmbH", "BV", "Inc", "& Co", "plc", "SARL"]
AS_OF = date(2026, 4, 1)
OWN_IBAN = "DE02120300000000202051"  # the organization's account (Settings), which the statement is of


@dataclass
class Ledger:
    org: object
    other: object
    now: datetime
    customers: dict[int, tuple[str, str]]  # id -> (name, iban)
    remembered: set[int]
    invoices: dict[int, tuple[str, int, int]]  # id -> (number, customer id, open minor)
    by_customer: dict[int, list[int]] = field(default_factory=dict)
    other_customers: dict[int, tuple[str, str]] = field(default_factory=dict)
    other_invoices_map: dict[int, tuple[str, int, int]] = field(default_factory=dict)

    @property
    def open_invoices(self) -> int:
        return len(self.invoices)

    @property
    def other_invoices(self) -> int:
        return len(self.other_invoices_map)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(SECOND)} {rng.choice(SUFFIX)}"


def build_ledger(args) -> Ledger:
    """Both organizations' customers and open invoices, by bulk INSERT in one transaction."""
    from django.db import connection, transaction

    from recoup.audit.actions import Actor
    from recoup.banking.models import RememberedAccount
    from recoup.core.terms import Terms
    from recoup.ledger.models import Customer, Invoice
    from recoup.orgs.actions import org_create

    rng = random.Random(args.seed)
    now = datetime(2026, 4, 2, 8, tzinfo=timezone.utc)
    actor = Actor.system("bench")
    org = org_create(slug="ours", legal_name="Ours Ltd", currency="EUR", country="DE", actor=actor, now=now)
    org.bank_iban = OWN_IBAN  # the statement's account: the organization's own, imported without a question
    org.save(update_fields=["bank_iban"])
    other = org_create(slug="theirs", legal_name="Theirs GmbH", currency="EUR", country="DE", actor=actor, now=now)
    agreed = json.dumps(Terms().to_dict())
    ledger = Ledger(org=org, other=other, now=now, customers={}, remembered=set(), invoices={})
    other_customers = max(50, args.customers // 30)
    other_count = max(200, args.invoices // 30)
    with transaction.atomic(), connection.cursor() as cur:
        inserters = {}
        for which, o in (("ours", org), ("theirs", other)):
            common = {"org_id": o.pk, "created_at": now}
            inserters[which] = (
                Inserter(cur, Customer, ["id", "ref", "legal_name"], common),
                Inserter(cur, Invoice, ["id", "customer_id", "number", "issue_date", "due_date", "currency",
                                        "net_minor", "total_minor", "open_minor"],
                         {**common, "agreed_terms": agreed, "status": "open", "tax_minor": 0}),
            )
        remembered = Inserter(cur, RememberedAccount, ["account", "customer_id", "last_seen"], {"org_id": org.pk})
        cid = iid = 0
        for which, n_customers, n_invoices, customers, invoices in (
                ("ours", args.customers, args.invoices, ledger.customers, ledger.invoices),
                ("theirs", other_customers, other_count, ledger.other_customers, ledger.other_invoices_map)):
            customer_rows, invoice_rows = inserters[which]
            first_cid = cid + 1
            for _ in range(n_customers):
                cid += 1
                name = _name(rng)
                iban = f"DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}"
                customers[cid] = (name, iban)
                customer_rows.add(cid, f"C{cid:07d}", name)
                if which == "ours" and rng.random() < 0.35:
                    ledger.remembered.add(cid)
                    remembered.add(iban, cid, AS_OF - timedelta(days=40))
            for n in range(1, n_invoices + 1):
                iid += 1
                customer = rng.randint(first_cid, cid) if n > n_customers else first_cid + n - 1
                issue = AS_OF - timedelta(days=rng.randint(5, 200))
                amount = rng.randint(2_000, 400_000)
                number = f"INV-{n:07d}"
                invoice_rows.add(iid, customer, number, issue, issue + timedelta(days=30), "EUR", amount, amount,
                                 amount)
                invoices[iid] = (number, customer, amount)
            customer_rows.flush()
            invoice_rows.flush()
        remembered.flush()
    for iid, (_, customer, _) in ledger.invoices.items():
        ledger.by_customer.setdefault(customer, []).append(iid)
    return ledger


def _noisy_name(rng: random.Random, name: str) -> str:
    choice = rng.random()
    if choice < 0.3:
        return name.upper()
    if choice < 0.5:
        return " ".join(name.split()[:2])  # without "Ltd"
    if choice < 0.6:
        return name.upper()[:18]  # banks cut names
    return name


def _ref_text(rng: random.Random, number: str) -> str:
    from recoup.core.matching import rf_reference

    digits = number[4:]
    style = rng.random()
    if style < 0.10:
        rf = rf_reference(number)
        return " ".join(rf[i:i + 4] for i in range(0, len(rf), 4))
    forms = [number, number.lower(), f"Invoice {number}", f"inv {digits}", digits.lstrip("0"), number.replace("-", ""),
             f"Rechnung {number} Kd-Nr {rng.randint(1000, 9999)}", f"{digits[:3]} {digits[3:]}", f"INV {digits}",
             f"Payment for {number} thank you"]
    return rng.choice(forms)


def _typo(rng: random.Random, number: str) -> str:
    digits = list(number[4:])
    i = rng.randrange(len(digits) - 1)
    if rng.random() < 0.5:
        digits[i] = str((int(digits[i]) + rng.randint(1, 9)) % 10)
    else:
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
    return "INV-" + "".join(digits)


def make_statement(ledger: Ledger, args) -> tuple[bytes, dict[str, tuple[frozenset[int], str]], Counter]:
    """A camt.053 of ``args.lines`` entries, (right invoices, kind) per end-to-end id, and counts per kind."""
    rng = random.Random(args.seed + 1)
    unused = list(ledger.invoices)
    rng.shuffle(unused)
    used: set[int] = set()

    def take() -> int:
        while True:
            iid = unused.pop()
            if iid not in used:
                used.add(iid)
                return iid

    kinds = ["exact"] * 50 + ["typo"] * 8 + ["truncated"] * 4 + ["combined"] * 8 + ["partial"] * 7 + \
        ["account"] * 6 + ["name_only"] * 4 + ["other_org"] * 6 + ["noise"] * 4 + ["out"] * 3
    truth: dict[str, tuple[frozenset[int], str]] = {}
    counts: Counter = Counter()
    entries = []
    for n in range(args.lines):
        kind = rng.choice(kinds)
        e2e = f"BENCH{n:07d}Z"  # not number-like: payers put invoice numbers here too
        answer: frozenset[int] = frozenset()
        name = iban = text = ""
        amount = 0
        if kind in ("exact", "typo", "truncated", "partial", "account", "name_only"):
            iid = take()
            number, customer, open_minor = ledger.invoices[iid]
            cname, ciban = ledger.customers[customer]
            name, iban = _noisy_name(rng, cname), (ciban if rng.random() < 0.7 else "")
            amount, answer = open_minor, frozenset([iid])
            if kind == "exact":
                text = _ref_text(rng, number)
            elif kind == "typo":
                text = f"Invoice {_typo(rng, number)}"
            elif kind == "truncated":
                text = f"Zahlung fuer Lieferung vom {rng.randint(1, 28)}.03.2026 Rechnung {number[:-1]}"
            elif kind == "partial":
                amount = max(1, open_minor * rng.randint(20, 80) // 100)
                name = cname if rng.random() < 0.8 else "J. Smith"
                text = f"Teilzahlung {number}"
            elif kind == "account":
                if customer not in ledger.remembered:
                    kind = "exact"
                    text = _ref_text(rng, number)
                else:
                    iban, text = ledger.customers[customer][1], "Payment thank you"
            else:
                iban, text = "", "Payment"
        elif kind == "combined":
            pool = [i for i in ledger.by_customer.get(ledger.invoices[unused[-1]][1], []) if i not in used]
            picked = pool[: rng.randint(2, 3)]
            if len(picked) < 2:
                kind, picked = "exact", [take()]
            for iid in picked:
                used.add(iid)
            customer = ledger.invoices[picked[0]][1]
            name, iban = _noisy_name(rng, ledger.customers[customer][0]), ""
            amount = sum(ledger.invoices[i][2] for i in picked)
            text = " ".join(_ref_text(rng, ledger.invoices[i][0]) if len(picked) == 1 else ledger.invoices[i][0]
                            for i in picked)
            answer = frozenset(picked)
        elif kind == "other_org":
            iid = rng.choice(list(ledger.other_invoices_map))
            number, customer, open_minor = ledger.other_invoices_map[iid]
            name, iban = ledger.other_customers[customer]
            amount = open_minor if rng.random() < 0.7 else open_minor // 2
            text = _ref_text(rng, number)
        elif kind == "noise":
            amount = rng.randint(100, 50_000)
            name, text = rng.choice(["Finanzamt", "Bank interest", "Supplier refund", "ATM deposit"]), "credit"
        else:
            amount = -rng.randint(100, 500_000)
            name, text = "Office rent", f"Rent {rng.randint(1, 12)}/2026"
        counts[kind] += 1
        truth[e2e] = (answer, kind)
        on = AS_OF + timedelta(days=rng.randint(0, 20))
        entries.append(_entry(amount, on, name, iban, text, e2e))
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-04-22T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>
{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"""
    return xml.encode(), truth, counts


def _entry(amount: int, on: date, name: str, iban: str, text: str, e2e: str) -> str:
    credit = amount > 0
    party = "Dbtr" if credit else "Cdtr"
    value = f"{abs(amount) // 100}.{abs(amount) % 100:02d}"
    account = f"<{party}Acct><Id><IBAN>{iban}</IBAN></Id></{party}Acct>" if iban else ""
    return (f"<Ntry><Amt Ccy=\"EUR\">{value}</Amt><CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{on.isoformat()}</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId>"
            f"</Refs><RltdPties><{party}><Nm>{escape(name)}</Nm></{party}>{account}</RltdPties>"
            f"<RmtInf><Ustrd>{escape(text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n")
