"""Install the triggers of ``recoup/reports/triggers.py`` (every change to a customer's ledger noted
in reports_agingchange); on PostgreSQL collate the stored rows' sort columns "C" (code point order,
as Python sorts the live report; a later AlterField on those columns must keep that collation)."""

from django.db import migrations

COLLATE_C = ('ALTER TABLE reports_storedagingrow ALTER COLUMN sort_name TYPE varchar(200) COLLATE "C", '
             'ALTER COLUMN ref TYPE varchar(64) COLLATE "C"')


def forward(apps, schema_editor):
    from recoup.reports import triggers

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLLATE_C, params=None)
    triggers.install(schema_editor.connection)


def backward(apps, schema_editor):
    from recoup.reports import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [("reports", "0001_initial"), ("ledger", "0008_invoice_currency_and_list_order_indexes")]

    operations = [migrations.RunPython(forward, backward)]
