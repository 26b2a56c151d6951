"""Review mode's count of drafts waiting, for the navigation bar."""

from __future__ import annotations

from django import template

from recoup.collections.review import drafts_count

register = template.Library()


@register.simple_tag
def review_count(org) -> int:
    """Drafts waiting for review in ``org``; 0 outside an organization."""
    return drafts_count(org=org) if org is not None else 0
