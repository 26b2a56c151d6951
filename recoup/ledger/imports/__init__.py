"""CSV imports of customers, invoices, payments and credit notes.

    result = import_csv(org=org, kind="invoices", name="invoices.csv", data=raw_bytes,
                        actor=actor, now=now, dry_run=False, mapping={"Client": "customer_ref"})

All-or-nothing and idempotent; formats in docs/import-formats.md.
"""

from recoup.ledger.imports.columns import COLUMNS, KINDS
from recoup.ledger.imports.runner import ImportResult, RowError, import_csv

__all__ = ["COLUMNS", "KINDS", "ImportResult", "RowError", "import_csv"]
