from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reinstall_triggers(sender, using, **kwargs) -> None:
    """After every migrate: put back a trigger a rebuilt ledger table lost (SQLite), see triggers.py."""
    from django.db import connections

    from recoup.reports import triggers

    connection = connections[using]
    if "reports_agingchange" in connection.introspection.table_names():
        triggers.install(connection)


class ReportsConfig(AppConfig):
    name = "recoup.reports"
    label = "reports"

    def ready(self) -> None:
        post_migrate.connect(_reinstall_triggers, sender=self, dispatch_uid="reports_aging_change_triggers")
