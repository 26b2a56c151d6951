"""recoup uploads-sweep [--hours N] [--now ISO]: remove import uploads abandoned before confirmation."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from recoup.lib.command import add_now_argument, command_now
from recoup.lib.uploads import uploads_sweep


class Command(BaseCommand):
    help = ("Remove uploaded import files older than RECOUP_UPLOAD_MAX_AGE_HOURS (default 24): previews never "
            "confirmed. The import page also does this on every upload, and the scheduler each day.")

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None, help="age in hours (default: the setting)")
        add_now_argument(parser, "sweep as of this time (default: the clock)")

    def handle(self, *args, **options):
        hours = options["hours"] if options["hours"] is not None else settings.RECOUP_UPLOAD_MAX_AGE_HOURS
        removed = uploads_sweep(now=command_now(options), max_age=timedelta(hours=hours))
        self.stdout.write(f"removed {removed} abandoned upload{'s' if removed != 1 else ''} older than {hours} hours")
