"""recoup rates add SERIES YYYY-MM-DD VALUE | show SERIES | list: the reference rate series."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.compliance.actions import ComplianceError, rate_point_add
from recoup.compliance.selectors import rate_book, rate_rows
from recoup.lib.command import OrgCommand, parse_date

ACTOR = Actor.system("recoup rates")


class Command(OrgCommand):
    help = "Show the reference rate series (BoE Bank Rate, ECB rate, German base rate) and add points to them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a rate in force from a date (percent a year)")
        add.add_argument("series")
        add.add_argument("effective_from", type=parse_date, metavar="YYYY-MM-DD")
        add.add_argument("value", metavar="VALUE", help="percent, e.g. 2.15")
        add.add_argument("--note", default="", help="where the figure comes from")
        show = sub.add_parser("show", help="every point of one series, newest first")
        show.add_argument("series")
        listing = sub.add_parser("list", help="the series and their latest values")
        for verb in (add, show, listing):
            verb.add_argument("--org", metavar="SLUG", help="organization (optional when only one exists)")
        for verb in (show, listing):
            verb.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args, action, **options):
        org = self.org(options)
        book = rate_book(org)
        if action == "add":
            try:
                value = Decimal(options["value"])
            except InvalidOperation:
                raise CommandError(f"{options['value']!r} is not a number (use e.g. 2.15)") from None
            try:
                point = rate_point_add(org=org, series=options["series"], effective_from=options["effective_from"],
                                       percent=value, actor=ACTOR, now=timezone.now(), note=options["note"])
            except ComplianceError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{book.series[point.series].label}: {point.percent} % from {point.effective_from}")
            return
        if action == "show":
            series = options["series"]
            if series not in book.series:
                raise CommandError(f"unknown rate series {series!r} (known: {', '.join(sorted(book.series))})")
            s = book.series[series]
            rows = rate_rows(org, series)
            data = {"series": s.id, "label": s.label, "known_until": max(s.confirmed_until, s.points[-1][0]).isoformat(),
                    "source": {"title": s.source_title, "url": s.source_url},
                    "points": [{"from": r.effective_from.isoformat(), "percent": r.percent, "origin": r.origin}
                               for r in rows]}
            self.report(options["format"], headers=["from", "percent", "origin"],
                        rows=[(r.effective_from, r.percent, r.origin) for r in rows], data=data,
                        title=f"{s.label} (known until {data['known_until']})", right=["percent"])
            return
        data = [{"series": s.id, "label": s.label, "latest_from": s.points[-1][0].isoformat(),
                 "latest_percent": f"{s.points[-1][1]}",
                 "known_until": max(s.confirmed_until, s.points[-1][0]).isoformat()} for s in book.series.values()]
        self.report(options["format"], headers=["series", "label", "latest_from", "latest_percent", "known_until"],
                    rows=[list(d.values()) for d in data], data=data)
