"""recoup api-schema [--output docs/openapi.json]: write the REST API's OpenAPI schema."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from recoup.api.schema_file import schema_text


class Command(BaseCommand):
    help = "Write the OpenAPI schema of /api/v1/ (commit it as docs/openapi.json)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="FILE", help="default: standard output")

    def handle(self, *args, **options):
        text = schema_text()
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
