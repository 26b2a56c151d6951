"""The worklist's open-item count for the navigation bar."""

from __future__ import annotations

from django import template

from recoup.messaging.selectors import worklist_count as count_open_items

register = template.Library()


@register.simple_tag
def worklist_count(org) -> int:
    """Calls to make, open tasks and letters to post in ``org``; 0 outside an organization."""
    return count_open_items(org=org) if org is not None else 0
