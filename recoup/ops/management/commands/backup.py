"""recoup backup [--output FILE] [--daily] [--to s3] [--list]: the database and uploaded files in one archive."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recoup.lib.command import add_now_argument, command_now
from recoup.ops.backup import BackupError, backup_create, backup_daily, private_folder
from recoup.ops.offsite import OffsiteError, s3_target, stored_backups, upload


class Command(BaseCommand):
    help = ("Write a backup (.tar.gz: database by SQLite's backup API, pg_dump or a JSON dump, plus uploaded "
            "files). --daily: today's backup into RECOUP_BACKUP_DIR, keeping RECOUP_BACKUP_KEEP (and in the S3 "
            "bucket when RECOUP_BACKUP_S3_BUCKET is set). --to s3: upload this backup to the bucket too.")

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="where to write (default: RECOUP_BACKUP_DIR/recoup-TIME.tar.gz)")
        parser.add_argument("--daily", action="store_true", help="the scheduled daily backup with retention")
        add_now_argument(parser, "the time of the backup: its name, today's for --daily (default: the clock)")
        parser.add_argument("--to", choices=("s3",), help="also upload the archive to the configured S3 bucket")
        parser.add_argument("--list", action="store_true", help="list the backups in the folder and the bucket")

    def handle(self, *args, **options):
        now = command_now(options)
        target = s3_target()
        if options["to"] and target is None:
            raise CommandError("--to s3: set RECOUP_BACKUP_S3_BUCKET (and the other RECOUP_BACKUP_S3_* settings)")
        try:
            if options["list"]:
                return self._list(target)
            if options["daily"]:
                made = backup_daily(now=now)
                self.stdout.write(f"daily backup written to {made}" if made else "today's backup exists already")
                return
            output = options["output"] or \
                private_folder(settings.RECOUP_BACKUP_DIR) / f"recoup-{now:%Y-%m-%dT%H%M%S}.tar.gz"
            result = backup_create(output=output, now=now)
            self.stdout.write(f"backup written to {result.path} ({result.size:,} bytes; database by {result.method}, "
                              f"{result.media_files} uploaded file(s))")
            if options["to"]:
                self.stdout.write(f"uploaded to {upload(target, result.path)}")
        except (BackupError, OffsiteError, OSError) as exc:
            raise CommandError(str(exc)) from None

    def _list(self, target) -> None:
        folder = settings.RECOUP_BACKUP_DIR
        for path in sorted(folder.glob("recoup-*.tar.gz")) if folder.is_dir() else []:
            self.stdout.write(f"{path}  {path.stat().st_size:,} bytes")
        for stored in stored_backups(target) if target else []:
            self.stdout.write(f"{target.where(stored.name)}  {stored.size:,} bytes")
