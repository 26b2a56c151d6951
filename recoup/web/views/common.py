"""Small helpers shared by the views."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.shortcuts import get_object_or_404

from recoup.orgs.models import Organization


def org_today(org: Organization, now: datetime) -> date:
    """The calendar date in the organization's time zone at ``now``."""
    return now.astimezone(ZoneInfo(org.timezone or "UTC")).date()


def get_for_org(model, org: Organization, **lookup):
    """Fetch one row of ``org`` or 404; an id of another organization is simply not found."""
    return get_object_or_404(model.objects.for_org(org), **lookup)
