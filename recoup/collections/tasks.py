"""The worker's task for a part of a split day (``cycle_parts``), and what the scheduler asks of the queue
(registered as ``hooks.part_queue`` by collections' ``apps.py``, so ``cycle_parts`` does not import this)."""

from __future__ import annotations

import os
import socket

from django.utils import timezone
from django_tasks import task

from recoup.collections.cycle_parts import part_run


def worker_name() -> str:
    """This process as its heartbeat names it (``ops.heartbeats.process_name``): how a dead claim is told."""
    return f"{socket.gethostname()}:{os.getpid()}"


@task()
def cycle_part(part_id: int) -> dict:
    """Act for the customers of one part of a day's cycle (any worker; a part done already does nothing)."""
    return {"part": part_id, "outcome": part_run(part_id=part_id, clock=timezone.now, worker=worker_name())}


def part_enqueue(part_id: int) -> None:
    """Enqueue the part's task (inside the caller's transaction with the database backend)."""
    cycle_part.enqueue(part_id)


def parts_in_queue() -> set[int] | None:
    """The parts whose task waits in the queue (database backend), None when the backend cannot say."""
    if type(cycle_part.get_backend()).__module__ != "django_tasks_db.backend":
        return None
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=cycle_part.module_path, status="READY").values_list(
        "args_kwargs", flat=True)
    return {int(a["args"][0]) for a in waiting if a.get("args")}
