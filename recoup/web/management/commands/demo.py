"""recoup demo: create a believable small business with two years of ledger and a year of collections."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError

from recoup.demo.build import DemoError, demo_build
from recoup.demo.login import DEFAULT_URL, DemoLogin, login_path, save_login
from recoup.demo.story import HISTORY_DAYS
from recoup.lib.command import add_now_argument, command_now, parse_date, progress
from recoup.orgs.models import Organization


class Command(BaseCommand):
    help = ("Create a demo business (Oakline Joinery Ltd) with customers, invoices and payments, and a year of "
            "collections: reminders, calls, replies, promises, a plan, disputes, a placement, bank statements.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=60, help="how many customers (default 60)")
        parser.add_argument("--years", type=int, default=2, help="years of history (default 2)")
        parser.add_argument("--history-days", type=int, default=HISTORY_DAYS,
                            help=f"days of collections before --date, run day by day (default {HISTORY_DAYS}; "
                                 "0: the ledger only)")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same demo (default 1)")
        parser.add_argument("--date", type=parse_date, help="'today' for the demo, YYYY-MM-DD")
        add_now_argument(parser, "the time the demo is written at (default: the clock); its date is --date's default")
        parser.add_argument("--slug", default="oakline", help="the organization's slug (default oakline)")
        parser.add_argument("--password", help="the demo users' password (default: a random one)")
        parser.add_argument("--url", default=DEFAULT_URL, help="where the app will be served, for the login line")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any organization exists")

    def handle(self, *args, **opts):
        if opts["if_empty"] and Organization.objects.exists():
            if opts["verbosity"] > 0:
                self.stdout.write("Organizations exist already; no demo data added.")
            return
        if opts["customers"] < 1 or opts["years"] < 1:
            raise CommandError("--customers and --years must be at least 1")
        if opts["history_days"] < 0:
            raise CommandError("--history-days must be 0 or more")
        now = command_now(opts)
        today = opts["date"] or now.date()
        password = opts["password"] or secrets.token_urlsafe(9)
        try:
            result = demo_build(today=today, now=now, password=password, seed=opts["seed"],
                                customers=opts["customers"], years=opts["years"], slug=opts["slug"],
                                history_days=opts["history_days"],
                                progress=lambda days: progress(days, total=len(days), label="Collections, day by day"))
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        login = DemoLogin(opts["url"], result.owner, password)
        save_login(login)
        self.stdout.write(
            f"Demo business {result.org.legal_name} ({result.org.slug}): {result.customers} customers, "
            f"{result.invoices} invoices up to {today}"
            + (f", {result.messages} messages in {result.history_days} days of collections" if result.history_days
               else "") + ".\n"
            f"URL:      {login.url}\nUsername: {login.username} (also: collector, viewer)\n"
            f"Password: {login.password}\nSaved to {login_path()}"
        )
