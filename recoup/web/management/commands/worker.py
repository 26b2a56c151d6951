"""recoup worker: run background tasks queued in the database (django-tasks-db), beating while it runs."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from recoup.ops.heartbeats import HeartbeatThread
from recoup.ops.models import ProcessKind
from recoup.ops.startup import start_refusal


class Command(BaseCommand):
    help = ("Run queued background tasks until stopped (SIGINT/SIGTERM finish the current task first). "
            "Refuses to start on a database whose schema does not match the code, or a bad RECOUP_BASE_URL.")

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default", help="queue to work on (default: default)")
        parser.add_argument("--interval", type=float, default=1, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="run what is queued now, then exit")

    def handle(self, *args, **opts):
        refusal = start_refusal()
        if refusal:
            raise CommandError(f"not starting: {refusal}")
        options = {"queue_name": opts["queue_name"], "interval": opts["interval"], "reload": False,
                   "verbosity": opts["verbosity"]}
        if opts["batch"]:
            options["batch"] = True
            call_command("db_worker", **options)
            return
        # Beats from its own thread (recoup.ops.heartbeats): /readyz wants a worker alive.
        heartbeat = HeartbeatThread(kind=ProcessKind.WORKER, interval=settings.RECOUP_HEARTBEAT_SECONDS)
        heartbeat.start()
        try:
            call_command("db_worker", **options)
        finally:
            heartbeat.stop()
