"""recoup connections [--org SLUG] [--format json]: list the connections to the books; also
--disconnect PROVIDER, --choose ID, --writeback on|off, --stale-hours N, --account CODE, --rotate-key."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.connections import actions
from recoup.connections.keys import rotate_tokens
from recoup.connections.models import Connection, ConnectionStatus, Provider
from recoup.connections.selectors import books_hold, connections_of, stale_after
from recoup.lib.command import OrgCommand, resolve_org


class Command(OrgCommand):
    help = "List and manage the connections to the books."
    formats = ("table", "json")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--disconnect", choices=Provider.values, help="stop syncing; imported records stay")
        parser.add_argument("--choose", metavar="ID", help="connect this one of the organizations a login reaches")
        parser.add_argument("--writeback", choices=["on", "off"], help="write payments recorded in Recoup to the books")
        parser.add_argument("--stale-hours", type=int, help="defer the cycle when the books are older than this")
        parser.add_argument("--account", nargs=2, metavar=("PROVIDER", "CODE"),
                            help="the bank account written-back payments land in (Xero account code)")
        parser.add_argument("--rotate-key", action="store_true",
                            help="re-encrypt every stored token with the first key (after adding a new key)")

    def handle(self, *args, **options):
        now, actor = timezone.now(), Actor.system("recoup connections")
        if options["rotate_key"]:
            self.stdout.write(f"{rotate_tokens()} tokens re-encrypted with the first key.")
            return
        org = resolve_org(options["org"])
        try:
            self._change(org, options, actor, now)
        except actions.ConnectionsError as exc:
            raise CommandError(str(exc)) from None
        rows = [(c.get_provider_display(), c.remote_name or "-", c.get_status_display(),
                 c.last_synced_at.isoformat() if c.last_synced_at else "never", c.last_error or "")
                for c in connections_of(org)]
        data = {"org": org.slug, "hold": books_hold(org, now), "stale_after_hours": stale_after(org).seconds // 3600
                + stale_after(org).days * 24, "writeback": actions.books_settings(org).writeback,
                "connections": [{"provider": c.provider, "remote_id": c.remote_id, "remote_name": c.remote_name,
                                 "status": c.status, "last_synced_at": c.last_synced_at.isoformat()
                                 if c.last_synced_at else None, "last_error": c.last_error,
                                 "choices": c.choices} for c in connections_of(org)]}
        if options["format"] == "json":
            self.report("json", headers=[], rows=[], data=data)
            return
        self.report("table", headers=["books", "organization", "status", "last synced", "last error"], rows=rows,
                    title=f"Connections of {org.slug}")
        if data["hold"]:
            self.stdout.write(f"The cycle defers every step: {data['hold']}.")

    def _change(self, org, options, actor, now):
        if options["disconnect"]:
            connection = Connection.objects.for_org(org).filter(provider=options["disconnect"]).first()
            if connection is None:
                raise CommandError(f"{org.slug} has no {options['disconnect']} connection")
            actions.disconnect(org=org, connection=connection, actor=actor, now=now)
        if options["choose"]:
            connection = Connection.objects.for_org(org).filter(status=ConnectionStatus.CHOOSING).first()
            if connection is None:
                raise CommandError("no authorization is waiting for a choice")
            actions.connect_choose(org=org, connection=connection, remote_id=options["choose"], actor=actor, now=now)
        if options["writeback"] or options["stale_hours"] is not None:
            actions.books_settings_update(org=org, actor=actor, now=now, stale_after_hours=options["stale_hours"],
                                          writeback=None if not options["writeback"] else options["writeback"] == "on")
        if options["account"]:
            provider, code = options["account"]
            connection = Connection.objects.for_org(org).filter(provider=provider).first()
            if connection is None:
                raise CommandError(f"{org.slug} has no {provider} connection")
            actions.payment_account_set(org=org, connection=connection, account=code, actor=actor, now=now)
