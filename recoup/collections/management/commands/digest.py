"""recoup digest: e-mail the day's collections digest to the owners and collectors."""

from __future__ import annotations

from recoup.audit.checkpoints import checkpoint_take
from recoup.collections.digest import digest_send
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date


class Command(OrgCommand):
    help = ("E-mail the daily digest (the cycle's results, calls, letters, replies, reviews, and a signed "
            "audit checkpoint taken now) to the operators.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--date", type=parse_date, help="the day (default: today in the organization's time zone)")
        add_now_argument(parser)
        parser.add_argument("--url", default="", help="the app's address, for the worklist link")

    def handle(self, *args, **options):
        org, now = self.org(options), command_now(options)
        on = options["date"] or org_today(org, now)
        url = f"{options['url'].rstrip('/')}/o/{org.slug}/worklist/" if options["url"] else ""
        sent = digest_send(org=org, on=on, worklist_url=url, audit=checkpoint_take(org=org, now=now))
        self.stdout.write(f"digest for {on} sent to {sent} operator(s)" if sent else "no owner or collector has an e-mail address")
