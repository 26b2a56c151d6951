"""recoup policy load|show|list: escalation policies as YAML files."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.collections.actions import CollectionsError, policy_load
from recoup.collections.models import Policy
from recoup.collections.selectors import core_policy, policy_dump
from recoup.lib.command import OrgCommand, write_report

DEFAULT_FOR = {"business": "business", "consumer": "consumer", "all": ""}


class Command(OrgCommand):
    help = "Load a policy from YAML, show one as YAML or JSON, list them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="create or replace (by name) a policy from a YAML file")
        load.add_argument("file", type=Path)
        load.add_argument("--default-for", choices=sorted(DEFAULT_FOR),
                          help="make it the default for business customers, consumers or all customers")
        show = sub.add_parser("show", help="print a policy (its output loads back unchanged)")
        show.add_argument("name")
        show.add_argument("--format", choices=("yaml", "json"), default="yaml")
        listing = sub.add_parser("list", help="list the policies")
        listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
        for verb in (load, show, listing):
            verb.add_argument("--org", metavar="SLUG", help="organization (optional when only one exists)")

    def handle(self, *args, action, **options):
        org = self.org(options)
        if action == "load":
            path: Path = options["file"]
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: cannot read ({exc})") from None
            default_for = DEFAULT_FOR[options["default_for"]] if options["default_for"] else None
            try:
                policy = policy_load(org=org, data=text, actor=Actor.system("recoup policy"), now=timezone.now(),
                                     make_default_for=default_for)
            except CollectionsError as exc:
                raise CommandError(f"{path}: {exc}") from None
            self.stdout.write(f"loaded policy {policy.name} ({len(policy.spec['steps'])} steps)")
        elif action == "show":
            policy = Policy.objects.for_org(org).filter(name=options["name"]).first()
            if policy is None:
                known = ", ".join(Policy.objects.for_org(org).values_list("name", flat=True)) or "none"
                raise CommandError(f"no policy {options['name']!r} in {org.slug} (known: {known})")
            self.stdout.write(policy_dump(policy, options["format"]), ending="")
        else:
            rows = []
            for p in Policy.objects.for_org(org).order_by("name"):
                steps = core_policy(p).steps
                rows.append((p.name, ("all" if p.default_for == "" else p.default_for) if p.is_default else "",
                             len(steps), ", ".join(f"{s.key} ({s.offset_days:+d})" for s in steps)))
            write_report(self.stdout, options["format"], headers=["name", "default_for", "steps", "ladder"], rows=rows)
