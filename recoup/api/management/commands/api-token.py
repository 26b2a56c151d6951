"""recoup api-token create NAME [--scope read|write] | list | revoke PREFIX: API tokens without the web page."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.api.actions import ApiError, token_create, token_revoke
from recoup.api.models import ApiToken, Scope
from recoup.audit.actions import Actor
from recoup.lib.command import OrgCommand, add_now_argument, command_now

ACTOR = Actor.system("recoup api-token")
HEADERS = ["id", "name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]


def token_row(token: ApiToken) -> dict:
    iso = lambda v: v.isoformat() if v else None  # noqa: E731
    return {"id": token.pk, "name": token.name, "prefix": token.prefix, "scope": token.scope,
            "created_at": iso(token.created_at), "last_used_at": iso(token.last_used_at),
            "revoked_at": iso(token.revoked_at)}


class Command(OrgCommand):
    help = ("Make an API token (printed once: only its hash is kept), list the tokens, or revoke one "
            "(as Settings → API does).")
    formats = ("table", "json")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new token, printed once")
        create.add_argument("name")
        create.add_argument("--scope", choices=Scope.values, default=Scope.READ)
        listing = sub.add_parser("list", help="the organization's tokens (never their secret)")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix (the part shown in lists)")
        revoke.add_argument("prefix")
        for each in (create, listing, revoke):
            super().add_arguments(each)
            add_now_argument(each)

    def handle(self, *args, action, **options):
        org, now = self.org(options), command_now(options)
        if action == "list":
            rows = [token_row(t) for t in ApiToken.objects.for_org(org)]
            return self.report(options["format"], headers=HEADERS, data=rows, rows=[[r[h] for h in HEADERS] for r in rows])
        try:
            if action == "create":
                token, text = token_create(org=org, name=options["name"], scope=options["scope"], actor=ACTOR, now=now)
                data = {**token_row(token), "token": text}
            else:
                token = ApiToken.objects.for_org(org).filter(prefix=options["prefix"]).first()
                if token is None:
                    raise CommandError(f"no API token {options['prefix']!r} in {org.slug}")
                data = token_row(token_revoke(org=org, token=token, actor=ACTOR, now=now))
        except ApiError as exc:
            raise CommandError(f"{exc.field}: {exc}" if exc.field else str(exc)) from None
        if options["format"] == "json":
            return self.report("json", headers=[], rows=[], data=data)
        if action == "create":
            self.stdout.write(data["token"])
            self.stderr.write(f"API token {token.name} ({token.prefix}…, {token.scope}) for {org.slug}: shown once, "
                              "only its hash is kept; send it as 'Authorization: Bearer <token>'")
        else:
            self.stdout.write(f"API token {token.name} ({token.prefix}…) revoked")
