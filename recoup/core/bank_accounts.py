"""Is the account a bank statement names the organization's own? Pure.

The organization gives its account in Settings as an IBAN and/or free text ("Sort code 20-20-15,
account 55555555"); a statement names its account by IBAN or by an account number in the bank's
own notation (OFX ``ACCTID`` ``55555555``, MT940 ``:25:`` ``37040044/532013000``, camt
``Othr/Id``). ``same_account`` says whether the two are one account:

- an IBAN names the account of that IBAN (written in any spacing or case), or the one whose Settings
  text has exactly the digits of its domestic part (``GB33 BUKB 2020 1555 5555 55`` and ``Sort code
  20-20-15, account 55555555``), never another IBAN;
- an account number names it when its digits are all the digits of the Settings text (``20-20-15
  55555555`` and ``20201555555555``), or when its last run of six or more digits, leading zeros
  aside, is a run of the Settings text or the end of the IBAN's domestic part (``55555555`` for
  ``GB33 BUKB 2020 1555 5555 55``; ``532013000`` for ``DE89 3704 0044 0532 0130 00``).

Short numbers (under six digits) never match by their tail: too many accounts share them.
"""

from __future__ import annotations

import re

from stdnum import iban as iban_numbers

_RUNS = re.compile(r"\d+")
MIN_DIGITS = 6


def compact(text: str) -> str:
    """Upper-case letters and digits only: ``gb33 bukb-2020`` -> ``GB33BUKB2020``."""
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())


def is_iban(text: str) -> bool:
    return iban_numbers.is_valid(compact(text))


def _digits(text: str) -> str:
    return "".join(_RUNS.findall(text or ""))


def _tail(text: str) -> str:
    """The last run of at least MIN_DIGITS digits, without leading zeros ("" when there is none)."""
    runs = [r for r in _RUNS.findall(text or "") if len(r) >= MIN_DIGITS]
    return runs[-1].lstrip("0") if runs else ""


def same_account(identifier: str, *, iban: str = "", details: str = "") -> bool:
    """Whether a statement's account ``identifier`` is the account given by ``iban`` and/or ``details``.

    Args: identifier: the IBAN or account number a statement names; iban: the account's IBAN;
        details: its other details as written by a person (sort code, account number, BLZ).
    """
    key, own_iban = compact(identifier), compact(iban)
    if not key:
        return False
    if own_iban and key == own_iban:
        return True
    if is_iban(key):  # one account: the IBAN written in the details, or all of their digits (sort code + number)
        written = {compact(m) for m in re.findall(r"[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){10,30}", details or "")}
        domestic = _digits(key[4:])
        return key in written or (len(domestic) >= MIN_DIGITS and domestic == _digits(details))
    whole = _digits(key)
    if whole and len(whole) >= MIN_DIGITS and whole == _digits(details):
        return True
    tail = _tail(identifier)
    if not tail:
        return False
    if any(run.lstrip("0") == tail for run in _RUNS.findall(details or "") if len(run) >= MIN_DIGITS):
        return True
    domestic = _digits(own_iban[4:]) if is_iban(own_iban) else ""
    return bool(domestic) and domestic.endswith(tail)


def shown(identifier: str) -> str:
    """An identifier as people read it: an IBAN in groups of four, anything else as written."""
    return iban_numbers.format(compact(identifier)) if is_iban(identifier) else identifier.strip()
