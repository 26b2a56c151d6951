"""recoup insight_snapshot [--as-of DATE] [--now ISO-DATETIME]: compute and store the insight figures the pages show.

The scheduler does this after each daily cycle; run it by hand after a large import, or to
fill a day the pages should show without computing it on a visit.
"""

from __future__ import annotations

import time

from recoup.insight.actions import insight_snapshot_write
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date


class Command(OrgCommand):
    help = "Compute and store the day's insight figures (metrics, forecast, risk) for the pages."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="default: today")
        add_now_argument(parser, help="when the figures are computed, and 'today' for --as-of (default: the clock)")

    def handle(self, *args, **options):
        org = self.org(options)
        now = command_now(options)
        on = options["as_of"] or org_today(org, now)
        started = time.perf_counter()
        rows = insight_snapshot_write(org=org, on=on, now=now)
        self.stdout.write(f"insight snapshot of {org.slug} as of {on}: {', '.join(r.currency for r in rows) or 'none'}"
                          f" in {time.perf_counter() - started:.1f} s\n")
