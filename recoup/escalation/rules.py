"""Pure escalation rules: which letter, when its response period ends, the small-claims checklist.

No Django, no clock: dates come in as arguments. Limits are in minor units of the court's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Small-claims limits (minor units). California: Code of Civil Procedure 116.220 and 116.221
# (USD 12,500 for a natural person or sole proprietor, USD 6,250 for other claimants) and
# 116.231 (at most two claims over USD 2,500 in a calendar year). England and Wales: the
# small claims track, CPR 26.9 (GBP 10,000).
CA_INDIVIDUAL_LIMIT = 1_250_000
CA_ENTITY_LIMIT = 625_000
CA_FREQUENT_THRESHOLD = 250_000
CA_FREQUENT_MAX = 2
EW_SMALL_CLAIMS_LIMIT = 1_000_000
EW_RESPONSE_DAYS = 30  # Pre-Action Protocol for Debt Claims, paragraph 4.1
DEFAULT_RESPONSE_DAYS = 30


def letter_kind(*, jurisdiction: str | None, debtor_individual: bool, time_barred: bool) -> str:
    """The letter before action to send: a Letter of Claim under the Pre-Action Protocol for Debt
    Claims (England and Wales, debtor an individual or sole trader), a notice that threatens
    nothing for a time-barred debt, else a final demand."""
    if time_barred:
        return "time_barred_notice"
    if jurisdiction == "GB" and debtor_individual:
        return "ew_letter_of_claim"
    return "final_demand"


def response_deadline(sent_on: date, days: int) -> date:
    """The last day of the response period: ``days`` after the letter's date."""
    if days < 1:
        raise ValueError("a response period is at least one day")
    return sent_on + timedelta(days=days)


@dataclass(frozen=True)
class CheckItem:
    label: str
    ok: bool | None  # None: cannot tell (unknown)
    detail: str


@dataclass(frozen=True)
class Checklist:
    jurisdiction: str | None
    court: str
    items: tuple[CheckItem, ...]

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.items)


def small_claims_checklist(*, jurisdiction: str | None, currency: str, amount_minor: int, on: date,
                           claimant_individual: bool, claims_over_threshold_this_year: int,
                           limitation_last_day: date | None, lba_sent_on: date | None,
                           lba_deadline: date | None, money: callable = None) -> Checklist:
    """What a small-claims filing needs, item by item, for ``jurisdiction`` on ``on``.

    Args: amount_minor: the claim (principal, fees and interest) in ``currency``;
        claims_over_threshold_this_year: small claims over USD 2,500 already filed this
        calendar year (California); limitation_last_day: the last day to sue (None: unknown);
        lba_sent_on / lba_deadline: the latest letter before action and its response period.
        money: formats minor units for the detail texts (default: plain numbers).
    """
    fmt = money or (lambda minor: f"{minor / 100:.2f} {currency}")
    items: list[CheckItem] = []
    if jurisdiction == "US-CA":
        court = "California small claims court"
        limit = CA_INDIVIDUAL_LIMIT if claimant_individual else CA_ENTITY_LIMIT
        who = "a natural person or sole proprietor" if claimant_individual else "an entity"
        items.append(_limit_item(currency, "USD", amount_minor, limit, fmt, f"the limit for {who}"))
        if amount_minor > CA_FREQUENT_THRESHOLD:
            ok = claims_over_threshold_this_year < CA_FREQUENT_MAX
            items.append(CheckItem("Claims over USD 2,500 this year", ok,
                                   f"{claims_over_threshold_this_year} filed in {on.year}; at most "
                                   f"{CA_FREQUENT_MAX} a calendar year"))
    elif jurisdiction == "GB":
        court = "County Court, small claims track (England and Wales)"
        items.append(_limit_item(currency, "GBP", amount_minor, EW_SMALL_CLAIMS_LIMIT, fmt, "the small claims track"))
    else:
        court = "small claims (no limits known for this jurisdiction)"
        items.append(CheckItem("Amount within the court's limit", None,
                               f"{fmt(amount_minor)}: check the local court's limit"))
    if limitation_last_day is None:
        items.append(CheckItem("Within the limitation period", None, "no limitation rule known"))
    else:
        left = (limitation_last_day - on).days
        items.append(CheckItem("Within the limitation period", left >= 0,
                               f"last day to sue {limitation_last_day.isoformat()}"
                               + (f" ({left} days left)" if left >= 0 else " (time-barred)")))
    if lba_sent_on is None:
        items.append(CheckItem("Letter before action sent", False, "no letter before action sent yet"))
    else:
        items.append(CheckItem("Letter before action sent", True, f"sent {lba_sent_on.isoformat()}"))
        elapsed = lba_deadline is not None and on > lba_deadline
        items.append(CheckItem("Response period elapsed", elapsed,
                               f"response period ends {lba_deadline.isoformat()}" if lba_deadline else "unknown"))
    return Checklist(jurisdiction=jurisdiction, court=court, items=tuple(items))


def _limit_item(currency: str, court_currency: str, amount_minor: int, limit: int, fmt, what: str) -> CheckItem:
    label = "Amount within the court's limit"
    if currency != court_currency:
        return CheckItem(label, None, f"the claim is in {currency}; the limit is in {court_currency}")
    return CheckItem(label, amount_minor <= limit, f"{fmt(amount_minor)} against {fmt(limit)}, {what}")
