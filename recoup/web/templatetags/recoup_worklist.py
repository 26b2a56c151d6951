"""The worklist's open items and the inbox's unhandled items, counted for the navigation bar."""

from __future__ import annotations

from django import template

from recoup.messaging.selectors import open_counts

register = template.Library()


@register.simple_tag
def nav_counts(org) -> dict[str, int]:
    """``{"worklist": calls, tasks and letters to post, "inbox": unhandled items}`` in ``org``; zeros outside one."""
    worklist, inbox = open_counts(org=org) if org is not None else (0, 0)
    return {"worklist": worklist, "inbox": inbox}


@register.simple_tag
def worklist_count(org) -> int:
    """Calls to make, open tasks and letters to post in ``org``; 0 outside an organization."""
    return nav_counts(org)["worklist"]
