"""Searches of the invoice and customer lists at any size.

Both engines: the invoice list's order index carries the customer, so a search reads that index alone.
PostgreSQL: trigram indexes (``pg_trgm``, a trusted extension the database's owner may create) on what
the searches compare: Django's ``icontains`` is ``UPPER(column::text) LIKE UPPER('%q%')``, and a GIN
index of that expression's trigrams answers it without reading every row. SQLite scans the (small)
index entries instead; it has no such index.
"""

from django.db import migrations, models

TRIGRAMS = [  # (index name, table, column)
    ("invoice_number_trgm", "ledger_invoice", "number"),
    ("customer_ref_trgm", "ledger_customer", "ref"),
    ("customer_legal_name_trgm", "ledger_customer", "legal_name"),
    ("customer_display_name_trgm", "ledger_customer", "display_name"),
    ("contact_email_trgm", "ledger_contact", "email"),
]


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for name, table, column in TRIGRAMS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)',
            params=None)


def trigram_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAMS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0008_invoice_currency_and_list_order_indexes'),
        ('orgs', '0004_issue11_settings'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='invoice',
            name='invoice_list_order',
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(fields=['org', 'issue_date', 'number', 'customer'], name='invoice_list_order'),
        ),
        migrations.RunPython(trigram_indexes, trigram_indexes_drop),
    ]
