"""recoup connect PROVIDER [--org SLUG] [--redirect-uri URL] | --code CODE --state STATE [--tenant ID]:
connect the organization's books. Without --code it prints the URL to open; the provider sends
the browser to the redirect URL with ?code=...&state=..., which either the web app completes
(Settings -> Connections) or this command does with --code and --state."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.connections.actions import ConnectionsError, connect_choose, connect_complete, connect_start
from recoup.connections.models import ConnectionStatus, Provider
from recoup.connections.oauth import AuthorizationFailed
from recoup.connections.providers.http import ProviderError
from recoup.lib.command import OrgCommand


def default_redirect_uri() -> str:
    return f"{settings.RECOUP_BASE_URL}/connections/callback/"


class Command(OrgCommand):
    help = "Connect Xero, QuickBooks Online or Stripe Billing: prints the URL to open, then completes with --code."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("provider", choices=Provider.values)
        parser.add_argument("--redirect-uri", default="", help="as registered with the provider "
                            "(default: RECOUP_BASE_URL/connections/callback/)")
        parser.add_argument("--code", default="", help="the code the provider put in the redirect URL")
        parser.add_argument("--state", default="", help="the state the provider put in the redirect URL")
        parser.add_argument("--realm-id", default="", help="QuickBooks: the realmId in the redirect URL")
        parser.add_argument("--tenant", default="", help="the remote organization to connect when the login reaches several")

    def handle(self, *args, **options):
        org, now, actor = self.org(options), timezone.now(), Actor.system("recoup connect")
        try:
            if not options["code"]:
                url = connect_start(org=org, provider=options["provider"], user=None, now=now,
                                    redirect_uri=options["redirect_uri"] or default_redirect_uri())
                self.stdout.write(f"Open this URL, sign in and allow access:\n\n  {url}\n\n"
                                  f"Then run: recoup connect {options['provider']} --org {org.slug} "
                                  "--code CODE --state STATE  (both from the address the browser lands on)")
                return
            callback = {"realmId": options["realm_id"]} if options["realm_id"] else {}
            connection = connect_complete(state=options["state"], code=options["code"], callback=callback,
                                          actor=actor, now=now, org=org)
            if connection.status == ConnectionStatus.CHOOSING:
                if not options["tenant"]:
                    choices = "\n".join(f"  {c['id']}  {c['name']}" for c in connection.choices)
                    raise CommandError(f"the login reaches several organizations; run again with --tenant ID:\n{choices}"
                                       "\n(the authorization is kept: use `recoup connections --choose ID`)")
                connection = connect_choose(org=org, connection=connection, remote_id=options["tenant"], actor=actor,
                                            now=now)
        except (ConnectionsError, AuthorizationFailed, ProviderError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Connected {connection}. Run `recoup sync --org {org.slug}` for the first sync.")
