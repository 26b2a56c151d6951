"""recoup restore FILE: restore a backup into an empty install, then check every audit chain."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from recoup.audit.selectors import chain_verify
from recoup.ops.backup import BackupError, backup_restore
from recoup.orgs.models import Organization


class Command(BaseCommand):
    help = "Restore a backup made by `recoup backup` into an install that holds no organization yet."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            result = backup_restore(archive=file)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored {', '.join(result.organizations) or 'no organizations'} "
                          f"(database by {result.method}, {result.media_files} uploaded file(s))")
        broken = []
        for org in Organization.objects.order_by("slug"):
            report = chain_verify(org)
            self.stdout.write(report.text())
            broken += [] if report.ok else [org.slug]
        if broken:
            raise CommandError(f"restored, but the audit chain does not verify in {', '.join(broken)}")
