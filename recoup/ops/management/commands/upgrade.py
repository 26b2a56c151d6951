"""recoup upgrade: after installing a new version, back up, migrate and collect static files, in that order."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recoup.ops.backup import BackupError, backup_create
from recoup.ops.heartbeats import live_processes
from recoup.ops.offsite import OffsiteError, s3_target, upload
from recoup.ops.schema import schema_problem, schema_state


class Command(BaseCommand):
    help = ("Upgrade the database to this version: refuse a database newer than the code, take a backup "
            "(RECOUP_BACKUP_DIR, and the S3 bucket when configured), apply the migrations, collect static files.")
    requires_system_checks = []  # the checks may need the new schema; `recoup check --deploy` runs them after

    def add_arguments(self, parser):
        parser.add_argument("--no-backup", action="store_true", help="skip the backup (only if you just took one)")
        parser.add_argument("--allow-running", action="store_true",
                            help="upgrade although workers or schedulers are still beating (not advised)")

    def handle(self, *args, **options):
        state = schema_state()
        if state.newer:
            raise CommandError(schema_problem(state))
        # A database from before heartbeats existed has no table to ask.
        running = [] if "ops.0001_heartbeat" in state.pending else live_processes()
        if running and not options["allow_running"]:
            raise CommandError(f"stop the workers and schedulers first (still running: {', '.join(running)}); "
                               "see docs/deploy.md, Upgrades")
        if state.fresh:
            self.stdout.write("new database: nothing to back up")
        elif options["no_backup"]:
            self.stdout.write("no backup taken (--no-backup)")
        else:
            self._backup()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        applied = len(state.pending)
        self.stdout.write(f"upgraded: {applied} migration(s) applied, static files collected; the schema matches "
                          f"this version. Start the web, worker and scheduler processes.")

    def _backup(self) -> None:
        now = timezone.now()
        output = settings.RECOUP_BACKUP_DIR / f"recoup-upgrade-{now:%Y-%m-%dT%H%M%S}.tar.gz"
        try:
            result = backup_create(output=output, now=now)
            self.stdout.write(f"backup written to {result.path} ({result.size:,} bytes)")
            target = s3_target()
            if target is not None:
                self.stdout.write(f"backup uploaded to {upload(target, result.path)}")
        except (BackupError, OffsiteError, OSError) as exc:
            raise CommandError(f"no upgrade without a backup, and the backup failed: {exc}") from None

