"""Heartbeats: each worker and scheduler process says every few seconds that it is alive.

A process beats from a small thread of its own (``HeartbeatThread``), so a long task (a large
organization's cycle) does not make it look dead; a process that is killed stops beating, and
its row goes stale. ``/readyz`` wants at least one fresh worker and a fresh scheduler leader.
Times are the database's clock (``Now()``): see ``recoup.ops.models``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper
from django.db.models.functions import Now

from recoup.ops.models import Heartbeat, ProcessKind

log = logging.getLogger(__name__)

# Rows of processes gone this long are removed.
FORGET_AFTER = timedelta(days=1)


def _ago(delta: timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(Now() - delta, output_field=DateTimeField())


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(*, kind: str, name: str, leader: bool = False) -> None:
    """Record that the process ``name`` of ``kind`` is alive now (and whether it leads)."""
    if Heartbeat.objects.filter(kind=kind, name=name).update(beat_at=Now(), leader=leader):
        return
    Heartbeat.objects.create(kind=kind, name=name, host=socket.gethostname(), pid=os.getpid(),
                             started_at=Now(), beat_at=Now(), leader=leader)
    Heartbeat.objects.filter(beat_at__lt=_ago(FORGET_AFTER)).delete()


def retire(*, kind: str, name: str) -> None:
    """A process stopping cleanly removes its row (a killed one leaves it to go stale)."""
    Heartbeat.objects.filter(kind=kind, name=name).delete()


def fresh(kind: str, *, within: timedelta):
    """The processes of ``kind`` that beat within ``within`` (by the database's clock)."""
    return Heartbeat.objects.filter(kind=kind, beat_at__gte=_ago(within)).order_by("name")


def silent(kind: str) -> set[str]:
    """Names of the processes of ``kind`` whose last beat is older than ``stale_after()`` (killed, or their
    machine gone: a clean stop removes the row)."""
    return set(Heartbeat.objects.filter(kind=kind, beat_at__lt=_ago(stale_after())).values_list("name", flat=True))


def stale_after() -> timedelta:
    """A process that has not beaten for this long counts as gone (six beats missed)."""
    return timedelta(seconds=6 * settings.RECOUP_HEARTBEAT_SECONDS)


def live_processes() -> list[str]:
    """"kind name" of every worker and scheduler beating now."""
    return [f"{kind} {name}" for kind, name in Heartbeat.objects.filter(beat_at__gte=_ago(stale_after()))
            .order_by("kind", "name").values_list("kind", "name")]


def last_beat_age(kind: str) -> float | None:
    """Seconds since the latest beat of any process of ``kind`` (database clock); None if none ever."""
    row = (Heartbeat.objects.filter(kind=kind).annotate(db_now=Now()).order_by("-beat_at")
           .values_list("beat_at", "db_now").first())
    return None if row is None else max(0.0, (row[1] - row[0]).total_seconds())


class HeartbeatThread(threading.Thread):
    """Beat every ``interval`` seconds until ``stop()``; then remove the row. ``leader`` may change."""

    def __init__(self, *, kind: str, interval: float, name: str | None = None):
        super().__init__(name=f"recoup-{kind}-heartbeat", daemon=True)
        if kind not in ProcessKind.values:
            raise ValueError(f"unknown process kind {kind!r}")
        self.kind, self.interval, self.process = kind, interval, name or process_name()
        self.leader = False
        self._stop_event = threading.Event()
        self._beat_now = threading.Event()

    def nudge(self) -> None:
        """Beat at once (the leader flag just changed)."""
        self._beat_now.set()

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                try:
                    beat(kind=self.kind, name=self.process, leader=self.leader)
                except Exception:  # noqa: BLE001 - the database may be away for a while; keep trying
                    log.warning("heartbeat of %s %s failed", self.kind, self.process, exc_info=True)
                    connection.close()
                self._beat_now.wait(self.interval)
                self._beat_now.clear()
            try:
                retire(kind=self.kind, name=self.process)
            except Exception:  # noqa: BLE001 - the row goes stale instead
                log.warning("could not retire heartbeat of %s", self.process, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    def stop(self, timeout: float = 5) -> None:
        self._stop_event.set()
        self._beat_now.set()
        self.join(timeout)
