"""What the operator's view of health reads: which worker and scheduler processes are alive.

Times here are the database server's clock (``Now()``), never a host's: processes on several
machines compare their beats on one clock, and the simulated clock (a testing aid) cannot
make a live process look dead.
"""

from __future__ import annotations

from django.db import models


class ProcessKind(models.TextChoices):
    WORKER = "worker", "Worker"
    SCHEDULER = "scheduler", "Scheduler"


class Heartbeat(models.Model):
    """One running ``recoup worker`` or ``recoup scheduler`` process, beating every few seconds."""

    kind = models.CharField(max_length=10, choices=ProcessKind.choices)
    name = models.CharField(max_length=200, help_text="host:pid, unique while the process runs")
    host = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()
    # Schedulers: whether this one holds the leader lock (exactly one acts).
    leader = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="one_heartbeat_per_process")]
        indexes = [models.Index(fields=["kind", "beat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"
