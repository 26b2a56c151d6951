"""recoup rules show --jurisdiction GB [--date D] [--debtor K] | check: the legal rules in force."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recoup.core.rules import (JURISDICTIONS, RULES_DIR, RuleFileError, load_rule_set, rules_in_force,
                               shipped_rates)
from recoup.lib.command import parse_date, write_report


class Command(BaseCommand):
    help = "List the legal rules in force in a jurisdiction on a date, with their sources; check the rule files."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="the rules in force")
        show.add_argument("--jurisdiction", required=True, choices=JURISDICTIONS)
        show.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="default today")
        show.add_argument("--debtor", choices=("business", "consumer", "both"), default="both")
        show.add_argument("--format", choices=("table", "json"), default="table")
        sub.add_parser("check", help="validate every rule file and the rate series")

    def handle(self, *args, action, **options):
        if action == "check":
            try:
                ruleset = load_rule_set(RULES_DIR)
                shipped_rates.cache_clear()
                shipped_rates()
            except RuleFileError as exc:
                raise CommandError(str(exc)) from None
            count = sum(len(f.rules) for f in ruleset.files.values())
            self.stdout.write(f"{count} rules in {len(ruleset.files)} jurisdictions: all valid")
            return
        on = options["date"] or timezone.now().date()
        kinds = ("business", "consumer") if options["debtor"] == "both" else (options["debtor"],)
        found = {}
        for kind in kinds:
            for rid, rule in rules_in_force(options["jurisdiction"], on, kind).items():
                found.setdefault(rid, rule)
        rules = list(found.values())
        data = {"jurisdiction": options["jurisdiction"], "date": on.isoformat(), "debtor": options["debtor"],
                "rules": [r.as_json() for r in rules]}
        rows = [(r.id, r.kind, r.applies_to, r.title, r.source.title + (f" <{r.source.url}>" if r.source.url else ""))
                for r in rules]
        write_report(self.stdout, options["format"], headers=["id", "kind", "applies to", "rule", "source"],
                     rows=rows, data=data, title=f"Rules in force in {options['jurisdiction']} on {on.isoformat()}")
