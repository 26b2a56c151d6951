"""recoup restore FILE | --from-s3 NAME: restore a backup into an empty install, then check every audit chain
against the checkpoints the backup's manifest carries."""

from __future__ import annotations

import tempfile

from django.core.management.base import BaseCommand, CommandError

from recoup.audit.checkpoints import CheckpointError, audit_verify, checkpoints_keep, read_checkpoints, trusted_keys
from recoup.ops.backup import BackupError, backup_restore
from recoup.ops.offsite import OffsiteError, download, s3_target
from recoup.orgs.models import Organization


class Command(BaseCommand):
    help = "Restore a backup made by `recoup backup` into an install that holds no organization yet."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the archive (.tar.gz)")
        parser.add_argument("--from-s3", metavar="NAME",
                            help="fetch this archive from the S3 bucket first ('latest': the last uploaded)")

    def handle(self, *args, file, **options):
        if bool(file) == bool(options["from_s3"]):
            raise CommandError("give either an archive FILE or --from-s3 NAME")
        try:
            if options["from_s3"]:
                target = s3_target()
                if target is None:
                    raise CommandError("--from-s3: set RECOUP_BACKUP_S3_BUCKET (and the other RECOUP_BACKUP_S3_*)")
                with tempfile.TemporaryDirectory() as folder:
                    archive = download(target, options["from_s3"], folder)
                    self.stdout.write(f"fetched {target.where(archive.name)}")
                    result = backup_restore(archive=archive)
                    checkpoints = read_checkpoints(archive)
            else:
                result = backup_restore(archive=file)
                checkpoints = read_checkpoints(file)
        except (BackupError, CheckpointError, OffsiteError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored {', '.join(result.organizations) or 'no organizations'} "
                          f"(database by {result.method}, {result.media_files} uploaded file(s))")
        # The backup's checkpoints vouch for the database it holds. Signed by this install's key (or one it
        # trusts) they are kept in its checkpoint file; by another key they are checked here only.
        trusted = trusted_keys()
        foreign = sorted({cp.key for cp in checkpoints} - trusted)
        if foreign:
            self.stdout.write(f"the backup's checkpoints are signed by {', '.join(k[:16] + '…' for k in foreign)}, "
                              "not by a key this install trusts: checked against the backup only")
        checkpoints_keep([cp for cp in checkpoints if cp.key in trusted])
        broken = []
        for org in Organization.objects.order_by("slug"):
            report = audit_verify(org, checkpoints, trusted=trusted | set(foreign))
            self.stdout.write(report.text())
            broken += [] if report.ok else [org.slug]
        if broken:
            raise CommandError(f"restored, but the audit chain does not verify in {', '.join(broken)}")
