"""recoup inbound FILE.eml [--org SLUG]: attach a received e-mail to its customer."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recoup.lib.command import add_now_argument, command_now, resolve_org
from recoup.messaging.inbound import InboundError, parse_inbound, record_inbound


class Command(BaseCommand):
    help = ("Read a received e-mail (.eml), attach it to its customer, open a task and pause collection "
            "for that customer until the operator lifts the pause.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the e-mail as raw MIME (.eml)")
        parser.add_argument("--org", help="match only customers of this organization (slug)")
        add_now_argument(parser, "when it was received (default: the clock)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from None
        org = resolve_org(options["org"]) if options["org"] else None
        try:
            result = record_inbound(raw_or_message=parse_inbound(raw), now=command_now(options), org=org)
        except InboundError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if result.matched_by == "duplicate":
            self.stdout.write(f"{path}: already recorded as message {result.message.pk} "
                              f"for {result.customer.ref} ({result.org.slug})")
        elif result.customer is not None:
            done = "task opened, collection paused" if result.paused else "automatic answer: no task, no pause"
            self.stdout.write(f"{path}: attached to {result.customer.ref} ({result.org.slug}) "
                              f"by {result.matched_by.replace('_', '-')}; {done}")
        elif result.org is not None:
            self.stdout.write(f"{path}: matched no customer; task {result.task.pk} opened for {result.org.slug}")
        else:
            self.stderr.write(f"{path}: matched no customer and no organization; dropped")
