"""Account events: sign-ins and two-factor changes, written to each organization the user works in."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from recoup.audit.actions import Actor, record
from recoup.orgs.models import Membership


def _record_everywhere(*, user, now: datetime, verb: str, summary: str, data: dict | None = None) -> None:
    for membership in Membership.objects.filter(user=user).select_related("org"):
        record(org=membership.org, actor=Actor.for_user(user), at=now, verb=verb, subject=membership,
               summary=summary, data=data)


@transaction.atomic
def login_recorded(*, user, now: datetime, two_factor: bool, address: str) -> None:
    """Log a successful sign-in (failures are counted by django-axes)."""
    _record_everywhere(user=user, now=now, verb="user.logged_in",
                       summary=f"{user.get_username()} signed in{' with a code' if two_factor else ''}",
                       data={"two_factor": two_factor, "address": address})


@transaction.atomic
def two_factor_enable(*, user, device, now: datetime) -> None:
    """Confirm an authenticator app the user has just proved with a code."""
    if device.user_id != user.pk:
        raise ValueError("that device belongs to someone else")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _record_everywhere(user=user, now=now, verb="user.two_factor_enabled",
                       summary=f"{user.get_username()} set up an authenticator app")
