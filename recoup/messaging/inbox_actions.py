"""Writes of the collector's inbox: marking an item handled (see ``messaging.inbox`` for the reads)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from recoup.audit.actions import Actor
from recoup.messaging.actions import MessagingError, reply_done, task_close
from recoup.messaging.models import INBOX_KINDS, Task, TaskKind
from recoup.orgs.models import Organization


@transaction.atomic
def inbox_mark_handled(*, org: Organization, task: Task, actor: Actor, now: datetime, note: str = "",
                       resume: bool = False) -> int:
    """Close an inbox item the collector has dealt with (audited ``task.closed``); for a reply, with
    ``resume``, lift the pause the reply put on its customer once no other reply of theirs is unread.

    Returns how many pauses were lifted. An item already handled raises MessagingError.
    """
    if task.kind not in INBOX_KINDS:
        raise MessagingError(f"task {task.pk} is a {task.get_kind_display().lower()} task, not an inbox item")
    if task.kind == TaskKind.REPLY:
        return reply_done(org=org, task=task, resume=resume, note=note, actor=actor, now=now)
    task_close(org=org, task=task, note=note, actor=actor, now=now)
    return 0
