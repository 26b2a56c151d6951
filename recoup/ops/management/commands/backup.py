"""recoup backup [--output FILE] [--daily]: the database and uploaded files in one archive."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from recoup.lib.command import add_now_argument, command_now
from recoup.ops.backup import BackupError, backup_create, backup_daily, private_folder


class Command(BaseCommand):
    help = ("Write a backup (.tar.gz: database by SQLite's backup API, pg_dump or a JSON dump, plus uploaded "
            "files). --daily: today's backup into RECOUP_BACKUP_DIR, keeping RECOUP_BACKUP_KEEP.")

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="where to write (default: RECOUP_BACKUP_DIR/recoup-TIME.tar.gz)")
        parser.add_argument("--daily", action="store_true", help="the scheduled daily backup with retention")
        add_now_argument(parser, "the time of the backup: its name, today's for --daily (default: the clock)")

    def handle(self, *args, **options):
        now = command_now(options)
        try:
            if options["daily"]:
                made = backup_daily(now=now)
                self.stdout.write(f"daily backup written to {made}" if made else "today's backup exists already")
                return
            output = options["output"] or \
                private_folder(settings.RECOUP_BACKUP_DIR) / f"recoup-{now:%Y-%m-%dT%H%M%S}.tar.gz"
            result = backup_create(output=output, now=now)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backup written to {result.path} ({result.size:,} bytes; database by {result.method}, "
                          f"{result.media_files} uploaded file(s))")
