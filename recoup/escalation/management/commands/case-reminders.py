"""recoup case-reminders [--date D] [--days N]: worklist tasks for hearings and deadlines coming up."""

from __future__ import annotations


from recoup.audit.actions import Actor
from recoup.escalation.case_actions import case_reminders
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date


class Command(OrgCommand):
    help = "Open a worklist task for each case hearing, deadline or enforcement step within --days (once each)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD")
        parser.add_argument("--days", type=int, default=7)
        add_now_argument(parser)

    def handle(self, *args, **options):
        org, now = self.org(options), command_now(options)
        opened = case_reminders(org=org, on=options["date"] or org_today(org, now), now=now, days=options["days"],
                                actor=Actor.system("recoup case-reminders"))
        self.stdout.write(f"{opened} reminder(s) opened")
