"""Reconciliation scoring: which open invoices an incoming bank credit pays, and how sure we are.

Pure: no Django, no I/O. ``MatchIndex`` is built once over one organization's open
invoices (the caller never passes another organization's) and answers ``match(credit)``
with candidates, best first, each with a confidence in [0, 1] and the reasons in words.

Evidence, strongest first:

- a reference to an invoice: an ISO 11649 creditor reference (``RF..``) built from the
  invoice number, or the invoice number itself found in the remittance text with any
  spacing, dashes or case, without its letter prefix, with leading zeros dropped, or
  with one character wrong, missing, extra or two swapped (found through an index of
  one-deletion variants, so a line costs a few dictionary look-ups, not a scan);
- the payer's account (IBAN) remembered from earlier confirmed matches;
- the payer's name against customer names (rapidfuzz ``token_set_ratio`` on the
  customers sharing a word with it), or exactly one customer's name (case, punctuation
  and, when the payer wrote none, the legal form aside);
- the amount: equal to one open invoice, to the sum of a few open invoices of one
  customer (subset sum), or less than the referenced invoice (a partial payment).

Confidence table (the organization's threshold, 0.90 by default, decides what is
applied without asking):

======================================================  ==========
exact reference, amount equals its open balance          0.99
several exact references of one customer, sum equals     0.97
one-typo reference, amount equal, payer corroborated     0.96
one-typo reference, amount equal                         0.93
exact reference, part payment, payer corroborated        0.92
remembered account, one invoice of that amount           0.93
remembered account, a few invoices summing to it         0.91
no reference; payer named exactly as one customer, the   0.92
  amount of exactly one of its open invoices
no reference; payer named exactly as one customer, its   0.91
  whole open balance
exact reference, part payment, payer not corroborated    0.70
exact reference, amount above the open balance           0.75
name match, one invoice (or a subset) of that amount     0.80 / 0.75
one-typo reference, amount differs                       0.55
only the amount equals one open invoice                  0.40
======================================================  ==========

"Corroborated" means the payer's remembered account or name (score >= 85) points to
the invoice's customer. An exact name is not sure when the text names any invoice, the
payer's remembered account is another customer's, or another customer with a similar name
(score >= 85) is owed the same amount. A reference alone never auto-applies a part payment: another
business's invoice numbers look like ours.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import combinations

from rapidfuzz import fuzz
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

MAX_WINDOW = 4  # adjacent text tokens joined when looking for a number written with spaces
MAX_SUBSET = 4  # invoices one payment may cover when nothing names them
MAX_SUBSET_POOL = 12  # a customer's open invoices considered for a subset sum
NAME_MIN = 85
MAX_RIVALS = 50  # customers owed the same amount beyond which an exact name is not trusted alone
_TOKEN = re.compile(r"[A-Z0-9]+")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_NOT_DIGIT = re.compile(r"\D")
_PREFIXED = re.compile(r"[A-Z]{0,6}(\d+)")
_RF = re.compile(r"RF\s?\d\d[\sA-Z0-9]{1,30}")
_WORD = re.compile(r"[a-z0-9]{3,}")
_ANY_WORD = re.compile(r"\w+")
_LEGAL = {"ltd", "limited", "inc", "llc", "gmbh", "plc", "bv", "sarl", "sas", "the", "and", "co", "company", "corp"}


def compact(text: str) -> str:
    """Upper-case letters and digits only: 'inv-2024 / 0042' -> 'INV20240042'."""
    return _NOT_ALNUM.sub("", text.upper())


def digits_key(number: str) -> str:
    """The digits of an invoice number without leading zeros: 'INV-0042' -> '42'."""
    return _NOT_DIGIT.sub("", number).lstrip("0")


def rf_reference(number: str) -> str:
    """The ISO 11649 creditor reference for an invoice number: 'INV-42' -> 'RF..INV42'.

    Raises ValueError when the number has no letters or digits, or more than 21 of them.
    """
    body = compact(number)
    if not body or len(body) > 21:
        raise ValueError(f"{number!r} cannot be written as an RF creditor reference")
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def rf_body(text: str) -> str | None:
    """The reference inside a valid RF creditor reference, else None."""
    value = compact(text)
    return value[4:] if value.startswith("RF") and iso11649.is_valid(value) else None


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1:] for i in range(len(key))}


def normalise_name(name: str) -> str:
    """Words of three letters or more, lower case, without legal forms: 'The Acme Co. Ltd' -> 'acme'."""
    words = [w for w in _WORD.findall(name.lower()) if w not in _LEGAL]
    return " ".join(words)


def full_name_key(name: str) -> str:
    """Every word, lower case, without punctuation: 'ACME Traders, Ltd.' -> 'acme traders ltd'."""
    return " ".join(_ANY_WORD.findall(name.casefold()))


@dataclass(frozen=True)
class OpenInvoice:
    id: int
    number: str
    customer_id: int
    currency: str
    open_minor: int
    due_date: date


@dataclass(frozen=True)
class Credit:
    """An incoming payment as the bank reports it."""

    amount_minor: int
    currency: str
    text: str = ""  # remittance, structured reference, end-to-end id: everything the payer wrote
    payer_name: str = ""
    payer_account: str = ""


@dataclass(frozen=True)
class Candidate:
    """Pay these invoices (``parts``: invoice id, minor units) of one customer."""

    customer_id: int
    parts: tuple[tuple[int, int], ...]
    confidence: float
    reasons: tuple[str, ...]

    @property
    def invoice_ids(self) -> tuple[int, ...]:
        return tuple(i for i, _ in self.parts)

    @property
    def applied_minor(self) -> int:
        return sum(m for _, m in self.parts)


@dataclass
class _Found:
    invoice: OpenInvoice
    exact: bool
    how: str


@dataclass
class MatchIndex:
    invoices: list[OpenInvoice]
    customer_names: dict[int, str]  # what fuzzy name matching compares (legal and trading name together)
    known_accounts: dict[str, int] = field(default_factory=dict)
    exact_names: dict[int, tuple[str, ...]] = field(default_factory=dict)  # each name as written; default the above

    def __post_init__(self) -> None:
        self.full_names: dict[str, set[int]] = defaultdict(set)
        self.plain_names: dict[str, set[int]] = defaultdict(set)
        for cid, name in self.customer_names.items():
            for written in self.exact_names.get(cid) or (name,):
                self.full_names[full_name_key(written)].add(cid)
                self.plain_names[normalise_name(written)].add(cid)
        self.full_names.pop("", None)
        self.plain_names.pop("", None)
        self.by_id = {inv.id: inv for inv in self.invoices}
        self.open_now = {inv.id: inv.open_minor for inv in self.invoices}
        self.digits: dict[int, str] = {}
        self.exact: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.fuzzy: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.by_amount: dict[tuple[str, int], list[OpenInvoice]] = defaultdict(list)
        self.by_customer: dict[int, list[OpenInvoice]] = defaultdict(list)
        for inv in self.invoices:
            if inv.open_minor <= 0:
                continue
            for key in self._keys(inv.number):
                self.exact[key].append(inv)
            digits = self.digits[inv.id] = digits_key(inv.number)
            if len(digits) >= 4:
                for variant in _deletions(digits):
                    self.fuzzy[variant].append(inv)
                self.fuzzy[digits].append(inv)
            self.by_amount[(inv.currency, inv.open_minor)].append(inv)
            self.by_customer[inv.customer_id].append(inv)
        self.words: dict[str, set[int]] = defaultdict(set)
        self.normal_names = {cid: normalise_name(name) for cid, name in self.customer_names.items()}
        for cid, name in self.normal_names.items():
            for word in name.split():
                self.words[word].add(cid)
        self.known_accounts = {compact(k): v for k, v in self.known_accounts.items()}

    def settle(self, invoice_id: int, minor: int) -> None:
        """Record that ``minor`` of an invoice was just paid, so later lines see its new balance."""
        if invoice_id in self.open_now:
            self.open_now[invoice_id] -= minor

    def _live(self, invoices: list[OpenInvoice]) -> list[OpenInvoice]:
        out = []
        for inv in invoices:
            now = self.open_now[inv.id]
            if now > 0:
                out.append(inv if now == inv.open_minor else replace(inv, open_minor=now))
        return out

    @staticmethod
    def _keys(number: str) -> set[str]:
        keys = {compact(number)}
        digits = digits_key(number)
        if len(digits) >= 3:  # "42" alone is found in too many texts
            keys.add("#" + digits)
        return {k for k in keys if k and k != "#"}

    # -- evidence -------------------------------------------------------------------------

    def references(self, credit: Credit) -> list[_Found]:
        """Invoices the text refers to, exact ones first; one entry per invoice."""
        text = credit.text.upper()
        found: dict[int, _Found] = {}
        for raw in _RF.findall(text):
            for end in range(len(raw), 4, -1):
                body = rf_body(raw[:end])
                if body:
                    for inv in self._live(self.exact.get(body, [])):
                        found.setdefault(inv.id, _Found(inv, True, f"creditor reference RF..{body}"))
                    break
        tokens = _TOKEN.findall(text)
        for start in range(len(tokens)):
            for width in range(1, MAX_WINDOW + 1):
                if start + width > len(tokens):
                    break
                joined = "".join(tokens[start:start + width])
                for inv in self._live(self.exact.get(joined, [])):
                    found.setdefault(inv.id, _Found(inv, True, f"invoice number {inv.number} in the text"))
                prefixed = _PREFIXED.fullmatch(joined)
                if prefixed is None:
                    continue
                digits = prefixed[1].lstrip("0")
                if len(digits) >= 3:
                    for inv in self._live(self.exact.get("#" + digits, [])):
                        found.setdefault(inv.id, _Found(inv, True, f"invoice number {inv.number} (without prefix)"))
        # A typo can turn one invoice number into another that exists (numbers are dense), so
        # one-character-off numbers are looked up even when an exact one was found.
        exact = list(found.values())
        if exact and (any(f.invoice.open_minor == credit.amount_minor for f in exact)
                      or sum(f.invoice.open_minor for f in exact) == credit.amount_minor):
            return [f for f in exact if f.invoice.currency == credit.currency]  # the reference and amount agree
        seen_digits: set[str] = set()
        has_exact = bool(found)
        checked: set[int] = set()
        for token in tokens + ["".join(tokens[i:i + 2]) for i in range(len(tokens) - 1)]:
            prefixed = _PREFIXED.fullmatch(token)
            digits = prefixed[1].lstrip("0") if prefixed else ""
            if len(digits) < 4 or digits in seen_digits:
                continue
            seen_digits.add(digits)
            for variant in _deletions(digits) | {digits}:
                for inv in self.fuzzy.get(variant, ()):
                    if inv.id in checked or inv.id in found:
                        continue
                    checked.add(inv.id)
                    # Beside an exact reference only a neighbour paid in full is worth a look.
                    if self.open_now[inv.id] <= 0 or (has_exact and self.open_now[inv.id] != credit.amount_minor):
                        continue
                    inv = self._live([inv])[0]
                    target = self.digits[inv.id]
                    if target != digits and _one_edit(target, digits):
                        found.setdefault(inv.id, _Found(inv, False, f"invoice number {inv.number} "
                                                                   f"with one character off ({token})"))
        return [f for f in found.values() if f.invoice.currency == credit.currency]

    def payer_customers(self, credit: Credit) -> dict[int, tuple[int, str]]:
        """Customers the payer may be: id -> (score 0-100, why)."""
        out: dict[int, tuple[int, str]] = {}
        account = compact(credit.payer_account)
        if account and account in self.known_accounts:
            out[self.known_accounts[account]] = (100, f"payer account {credit.payer_account} seen before")
        name = normalise_name(credit.payer_name)
        if name:
            # The rarest words of the name choose whom to compare with: "Traders" alone
            # would bring thousands of customers.
            sets = [ids for ids in sorted((self.words.get(w, set()) for w in set(name.split())), key=len) if ids]
            pool: set[int] = set()
            if len(sets) >= 2 and sets[0] & sets[1]:
                pool = sets[0] & sets[1]
            elif sets and len(sets[0]) <= 500:
                pool = sets[0]
            for cid in pool:
                score = int(fuzz.token_set_ratio(name, self.normal_names[cid]))
                if score >= NAME_MIN and score > out.get(cid, (0, ""))[0]:
                    out[cid] = (score, f"payer name {credit.payer_name!r} ~ {self.customer_names[cid]!r} ({score})")
        return out

    # -- decision -------------------------------------------------------------------------

    def match(self, credit: Credit, limit: int = 5) -> list[Candidate]:
        if credit.amount_minor <= 0:
            return []
        amount = credit.amount_minor
        refs = self.references(credit)
        cache: dict[str, dict[int, tuple[int, str]]] = {}

        def payers() -> dict[int, tuple[int, str]]:  # computed only when needed: names cost the most
            if "p" not in cache:
                cache["p"] = self.payer_customers(credit)
            return cache["p"]

        out: list[Candidate] = []

        def corroboration(cid: int) -> tuple[str, ...]:
            return (payers()[cid][1],) if cid in payers() else ()

        exact = [f for f in refs if f.exact]
        by_customer: dict[int, list[_Found]] = defaultdict(list)
        for f in exact:
            by_customer[f.invoice.customer_id].append(f)
        for cid, group in by_customer.items():
            total = sum(f.invoice.open_minor for f in group)
            if len(group) > 1 and total == amount:
                out.append(Candidate(cid, tuple((f.invoice.id, f.invoice.open_minor) for f in group), 0.97,
                                     tuple(f.how for f in group) + ("amount equals their sum",)))
        for f in exact:
            inv, cid = f.invoice, f.invoice.customer_id
            if inv.open_minor == amount:
                out.append(Candidate(cid, ((inv.id, amount),), 0.99, (f.how, "amount equals the open balance")))
            elif amount < inv.open_minor:
                extra = corroboration(cid)
                out.append(Candidate(cid, ((inv.id, amount),), 0.92 if extra else 0.70,
                                     (f.how, "part payment of the open balance") + extra))
            else:
                out.append(Candidate(cid, ((inv.id, inv.open_minor),), 0.75,
                                     (f.how, "amount is more than the open balance; the rest stays on account")))
        for f in refs:
            if f.exact:
                continue
            inv, cid = f.invoice, f.invoice.customer_id
            if inv.open_minor == amount:
                extra = corroboration(cid)
                out.append(Candidate(cid, ((inv.id, amount),), 0.96 if extra else 0.93,
                                     (f.how, "amount equals the open balance") + extra))
            elif not exact:  # next to an exact reference, a neighbour's number is noise
                out.append(Candidate(cid, ((inv.id, min(amount, inv.open_minor)),), 0.55,
                                     (f.how, "amount differs from the open balance")))
        if not any(c.confidence >= 0.9 for c in out):
            known = {cid for cid, (score, why) in payers().items() if score == 100 and "account" in why}
            # The best few payers only; a subset sum only for a payer known for sure or alone.
            ranked = sorted(payers().items(), key=lambda kv: (kv[0] not in known, -kv[1][0], kv[0]))[:3]
            for cid, (score, why) in ranked:
                out += self._by_amount_for(cid, credit, 0.93 if cid in known else 0.80,
                                           0.91 if cid in known else 0.75, why,
                                           subsets=cid in known or len(payers()) == 1)
            if not refs:  # nothing in the text points anywhere: the payer's exact name may
                out += self._exact_payer(credit, known)
        if not out:
            same = [i for i in self._live(self.by_amount.get((credit.currency, amount), [])) if i.open_minor == amount]
            if len(same) == 1:
                inv = same[0]
                out.append(Candidate(inv.customer_id, ((inv.id, amount),), 0.40,
                                     ("only the amount equals this invoice's open balance",)))
        best: dict[tuple, Candidate] = {}
        for c in out:
            key = c.parts
            if key not in best or c.confidence > best[key].confidence:
                best[key] = c
        ranked = sorted(best.values(), key=lambda c: (-c.confidence, c.parts))
        # Two different answers equally sure: neither is sure.
        if len(ranked) > 1 and ranked[0].confidence == ranked[1].confidence:
            ranked = [Candidate(c.customer_id, c.parts, min(c.confidence, 0.85),
                                c.reasons + ("another match is as likely",)) for c in ranked]
        return ranked[:limit]

    def exact_customer(self, payer_name: str) -> int | None:
        """The one customer whose name the payer's is, ignoring case, punctuation and (when the payer
        wrote none) the legal form; None when no customer or several have that name."""
        full = full_name_key(payer_name)
        if not full:
            return None
        ids = self.full_names.get(full)
        if not ids and normalise_name(payer_name) == full:  # no legal form written: "Acme Traders" for "... Ltd"
            ids = self.plain_names.get(full)
        return next(iter(ids)) if ids and len(ids) == 1 else None

    def _exact_payer(self, credit: Credit, known: set[int]) -> list[Candidate]:
        """A sure match for a payer named exactly as one customer, paying exactly one of its open
        invoices or its whole open balance, when no other customer of a similar name is owed that amount."""
        cid = self.exact_customer(credit.payer_name)
        if cid is None or (known and cid not in known):  # the payer's account says someone else
            return []
        pool = sorted((i for i in self._live(self.by_customer.get(cid, [])) if i.currency == credit.currency),
                      key=lambda i: (i.due_date, i.id))
        same = [i for i in pool if i.open_minor == credit.amount_minor]
        if len(same) == 1:
            parts, confidence = ((same[0].id, credit.amount_minor),), 0.92
            why = f"amount equals the open balance of {same[0].number}"
        elif not same and len(pool) > 1 and sum(i.open_minor for i in pool) == credit.amount_minor:
            parts, confidence = tuple((i.id, i.open_minor) for i in pool), 0.91
            why = f"amount equals the whole open balance ({len(pool)} invoices)"
        else:
            return []
        owed = self._live(self.by_amount.get((credit.currency, credit.amount_minor), []))
        rivals = {i.customer_id for i in owed if i.customer_id != cid and i.open_minor == credit.amount_minor}
        name = normalise_name(credit.payer_name)
        if len(rivals) > MAX_RIVALS or any(fuzz.token_set_ratio(name, self.normal_names.get(r, "")) >= NAME_MIN
                                           for r in rivals):
            return []
        return [Candidate(cid, parts, confidence, (f"payer name {credit.payer_name!r} is exactly customer "
                                                   f"{self.customer_names[cid]!r}'s, and no other's", why))]

    def _by_amount_for(self, cid: int, credit: Credit, single: float, subset: float, why: str,
                       subsets: bool = True) -> list[Candidate]:
        pool = sorted((i for i in self._live(self.by_customer.get(cid, [])) if i.currency == credit.currency),
                      key=lambda i: (i.due_date, i.id))
        exact = [i for i in pool if i.open_minor == credit.amount_minor]
        if exact:
            confidence = single if len(exact) == 1 else min(single, 0.85)
            return [Candidate(cid, ((exact[0].id, credit.amount_minor),), confidence,
                              (why, f"amount equals the open balance of {exact[0].number}")
                              + (("several invoices have this amount; the oldest is proposed",) if len(exact) > 1
                                 else ()))]
        if not subsets:
            return []
        parts = subset_sum([(i.id, i.open_minor) for i in pool[:MAX_SUBSET_POOL]], credit.amount_minor)
        if parts:
            numbers = ", ".join(self.by_id[i].number for i, _ in parts)
            return [Candidate(cid, parts, subset, (why, f"amount equals the sum of {numbers}"))]
        return []


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one substitution, insertion, deletion or adjacent swap."""
    if a == b:
        return False
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def subset_sum(items: list[tuple[int, int]], target: int) -> tuple[tuple[int, int], ...] | None:
    """The first few items (oldest first, at most MAX_SUBSET) whose amounts sum to target."""
    for size in range(2, min(MAX_SUBSET, len(items)) + 1):
        for combo in combinations(items, size):
            if sum(m for _, m in combo) == target:
                return tuple(combo)
    return None
