"""recoup scheduler [--once] [--now ISO]: run each organization's daily cycle at its time, then deliver."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recoup.collections.scheduler import TickReport, scheduler_tick
from recoup.lib.command import add_now_argument, command_now


class Command(BaseCommand):
    help = ("Every minute, run the collections cycle of each organization whose cycle time has passed "
            "in its time zone and that has not run today, then deliver due messages. SIGTERM stops it.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        add_now_argument(parser, "pretend it is this time (implies --once)")
        parser.add_argument("--interval", type=float, default=60, help="seconds between passes (default 60)")

    def handle(self, *args, **options):
        self.quiet = options["verbosity"] == 0
        if options["interval"] <= 0:
            raise CommandError("--interval must be positive")
        if options["once"] or options["now"]:
            report = scheduler_tick(now=command_now(options))
            self._print(report)
            if report.failed:
                raise CommandError("; ".join(f"{org.slug}: {why}" for org, why in report.failed))
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
            # The loop is the clock: each pass reads it (a pass with --now is a single pass above).
            self._print(scheduler_tick(now=timezone.now(), backup=True))  # the daily backup too
            stop.wait(options["interval"])

    def _print(self, report: TickReport) -> None:
        lines = []
        for org, result in report.ran:
            c = result.counts
            lines.append(f"{org.slug}: cycle for {result.date}: {c['queued']} queued, {c['deferred']} deferred, "
                         f"{c['blocked']} blocked")
        lines += [f"{org.slug}: cycle failed: {why}" for org, why in report.failed]
        d = report.delivery
        if d and (d.sent or d.retried or d.failed):
            lines.append(f"delivered: sent {d.sent}, retried {d.retried}, failed {d.failed}")
        if not self.quiet:
            for line in lines:
                self.stdout.write(line)
            self.stdout.flush()
