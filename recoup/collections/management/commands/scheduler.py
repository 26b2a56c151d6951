"""recoup scheduler [--once] [--now ISO]: run each organization's daily cycle at its time, then deliver.

Any number may run (on any number of machines): the one holding the leader lock
(``recoup.ops.leader``) acts, the others stand by and take over when it goes.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from recoup.collections.scheduler import TickReport, scheduler_tick
from recoup.lib.command import add_now_argument, command_now
from recoup.ops.heartbeats import HeartbeatThread
from recoup.ops.leader import SchedulerLock
from recoup.ops.models import ProcessKind
from recoup.ops.startup import start_refusal

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Every minute, run the collections cycle of each organization whose cycle time has passed "
            "in its time zone and that has not run today, then deliver due messages. Of several schedulers "
            "only the one holding the leader lock acts. SIGTERM stops it.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        add_now_argument(parser, "pretend it is this time (implies --once)")
        parser.add_argument("--interval", type=float, help="seconds between passes (default RECOUP_SCHEDULER_INTERVAL, 60)")

    def handle(self, *args, **options):
        self.quiet = options["verbosity"] == 0
        interval = options["interval"] if options["interval"] is not None else settings.RECOUP_SCHEDULER_INTERVAL
        if interval <= 0:
            raise CommandError("--interval must be positive")
        refusal = start_refusal()
        if refusal:
            raise CommandError(f"not starting: {refusal}")
        lock = SchedulerLock()
        if options["once"] or options["now"]:
            now = command_now(options)
            if not lock.hold():
                raise CommandError("another scheduler holds the leader lock and does this work; stop it first")
            try:
                report = scheduler_tick(now=now, take_over=True)
            finally:
                lock.release()
            self._print(report)
            if report.failed:
                raise CommandError("; ".join(f"{org.slug}: {why}" for org, why in report.failed))
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        heartbeat = HeartbeatThread(kind=ProcessKind.SCHEDULER, interval=settings.RECOUP_HEARTBEAT_SECONDS)
        heartbeat.start()
        try:
            while not stop.is_set():
                self._pass(lock, heartbeat)
                stop.wait(interval)
        finally:
            heartbeat.stop()
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - the connection may be gone; the lock went with it
                pass

    def _pass(self, lock: SchedulerLock, heartbeat: HeartbeatThread) -> None:
        """Lead if the lock is free (or still ours), then run one pass; stand by otherwise."""
        try:
            leading = lock.hold()
            if leading != heartbeat.leader:
                heartbeat.leader = leading
                heartbeat.nudge()
                self._say("leading: this scheduler acts" if leading else "standing by: another scheduler leads")
            if leading:
                # The lock says no other scheduler is alive: a day it left unfinished is taken over at once.
                self._print(scheduler_tick(now=timezone.now(), backup=True, take_over=True))
        except Exception:  # noqa: BLE001 - the database may be away: stand by, reconnect, try again
            log.exception("scheduler pass failed")
            if heartbeat.leader:
                heartbeat.leader = False
                heartbeat.nudge()
            connection.close()

    def _say(self, line: str) -> None:
        if not self.quiet:
            self.stdout.write(line)
            self.stdout.flush()

    def _print(self, report: TickReport) -> None:
        lines = []
        for org, result in report.ran:
            c = result.counts
            lines.append(f"{org.slug}: cycle for {result.date}: {c['queued']} queued, {c['deferred']} deferred, "
                         f"{c['blocked']} blocked")
        lines += [f"{org.slug}: cycle for {run.date} split into {run.parts.count()} parts for the workers"
                  for org, run in report.split]
        lines += [f"{run.org.slug}: cycle for {run.date} wrapped up late (snapshot, checkpoint, digest)"
                  for run in report.wrapped_up]
        lines += [f"{org.slug}: cycle failed: {why}" for org, why in report.failed]
        d = report.delivery
        if d and (d.sent or d.retried or d.failed):
            lines.append(f"delivered: sent {d.sent}, retried {d.retried}, failed {d.failed}")
        for line in lines:
            self._say(line)
