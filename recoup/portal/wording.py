"""The debtor's words for the state of a plan, a dispute or a settlement, in the portal's catalogue.

The models' labels are the operator's English ("Proposed (awaiting decision)"); the portal
shows these instead, translated with the rest of its pages (``locale/``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PLAN = {
    "proposed": _("proposed, waiting for our decision"),
    "active": _("active"),
    "completed": _("completed"),
    "broken": _("ended: a payment was missed"),
    "rejected": _("not accepted"),
    "cancelled": _("cancelled"),
}

DISPUTE = {
    "open": _("open"),
    "under_review": _("we are looking into it"),
    "mediation": _("in mediation"),
    "arbitration": _("in arbitration"),
    "resolved_credit": _("resolved with a credit note"),
    "resolved": _("resolved"),
    "rejected": _("not accepted"),
}

SETTLEMENT = {
    "proposed": _("proposed, waiting for our decision"),
    "offered": _("offered to you"),
    "accepted": _("accepted, waiting for your payment"),
    "paid": _("paid and settled"),
    "lapsed": _("lapsed"),
    "withdrawn": _("withdrawn"),
}


def status_words(table: dict, status: str) -> str:
    """The translated words for ``status``; the raw value if a new status has no words yet."""
    return str(table.get(status, status))
