"""recoup scheduler [--once] [--now ISO]: run each organization's daily cycle at its time, then deliver."""

from __future__ import annotations

import signal
import threading
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recoup.collections.scheduler import TickReport, scheduler_tick


def _parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--now {text!r} is not an ISO date-time (use e.g. 2026-03-31T07:00:00+01:00)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.get_default_timezone())


class Command(BaseCommand):
    help = ("Every minute, run the collections cycle of each organization whose cycle time has passed "
            "in its time zone and that has not run today, then deliver due messages. SIGTERM stops it.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--now", metavar="ISO-DATETIME", help="pretend it is this time (implies --once)")
        parser.add_argument("--interval", type=float, default=60, help="seconds between passes (default 60)")

    def handle(self, *args, **options):
        self.quiet = options["verbosity"] == 0
        if options["interval"] <= 0:
            raise CommandError("--interval must be positive")
        if options["once"] or options["now"]:
            now = _parse_now(options["now"]) if options["now"] else timezone.now()
            report = scheduler_tick(now=now)
            self._print(report)
            if report.failed:
                raise CommandError("; ".join(f"{org.slug}: {why}" for org, why in report.failed))
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
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
