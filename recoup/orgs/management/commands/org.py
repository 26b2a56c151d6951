"""recoup org create|list|add-user: organizations and who works in them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.lib.command import resolve_org, write_report
from recoup.orgs.actions import OrgError, locale_for_country, member_add, org_create
from recoup.orgs.models import Organization, Role


class Command(BaseCommand):
    help = "Create and list organizations; give users a role in one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an organization")
        create.add_argument("slug")
        create.add_argument("--name", required=True, help="legal name")
        create.add_argument("--currency", required=True, help="base currency, ISO 4217 (e.g. GBP)")
        create.add_argument("--country", required=True, help="ISO 3166 two-letter code (e.g. GB)")
        create.add_argument("--region", default="", help="ISO 3166-2 subdivision (e.g. CA)")
        create.add_argument("--timezone", default="UTC", help="e.g. Europe/London")
        create.add_argument("--locale", help="e.g. en_GB: how amounts and dates are written, and whether imported "
                                             "dates like 03/04/2026 are day first (default: the country's likeliest)")
        listing = sub.add_parser("list", help="list organizations")
        listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
        add_user = sub.add_parser("add-user", help="give a user (created if new) a role")
        add_user.add_argument("slug")
        add_user.add_argument("username")
        add_user.add_argument("--role", required=True, choices=Role.values)
        add_user.add_argument("--password", help="set this password (new users without one cannot log in)")
        add_user.add_argument("--email", default="")

    def handle(self, *args, action, **options):
        actor, now = Actor.system("recoup org"), timezone.now()
        try:
            if action == "create":
                org = org_create(slug=options["slug"], legal_name=options["name"],
                                 currency=options["currency"].upper(), country=options["country"],
                                 region=options["region"], timezone=options["timezone"],
                                 locale=options["locale"] or locale_for_country(options["country"]), actor=actor,
                                 now=now)
                self.stdout.write(f"created organization {org.slug} ({org.legal_name}, {org.base_currency}, "
                                  f"locale {org.locale})")
            elif action == "add-user":
                membership = member_add(org=resolve_org(options["slug"]), username=options["username"],
                                        role=options["role"], password=options["password"],
                                        email=options["email"], actor=actor, now=now)
                self.stdout.write(f"{membership.user.get_username()} is {membership.role} in {membership.org.slug}")
            else:
                orgs = Organization.objects.order_by("slug")
                write_report(self.stdout, options["format"],
                             headers=["slug", "name", "currency", "country", "region", "timezone", "locale"],
                             rows=[(o.slug, o.legal_name, o.base_currency, o.country, o.region, o.timezone,
                                    o.locale) for o in orgs])
        except OrgError as exc:
            raise CommandError(str(exc)) from None
