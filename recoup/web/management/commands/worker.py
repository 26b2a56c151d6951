"""recoup worker: run background tasks queued in the database (django-tasks-db)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run queued background tasks until stopped (SIGINT/SIGTERM finish the current task first)."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default", help="queue to work on (default: default)")
        parser.add_argument("--interval", type=float, default=1, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="run what is queued now, then exit")

    def handle(self, *args, **opts):
        options = {"queue_name": opts["queue_name"], "interval": opts["interval"], "reload": False,
                   "verbosity": opts["verbosity"]}
        if opts["batch"]:
            options["batch"] = True
        call_command("db_worker", **options)
