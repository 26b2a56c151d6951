"""CSV imports of customers, invoices, payments and credit notes, in Recoup's columns or
from the exports of other tools (``source``: see ``presets``).

    result = import_csv(org=org, kind="invoices", name="invoices.csv", data=open_file,
                        actor=actor, now=now, dry_run=False, source="zoho",
                        mapping={"Client": "customer_name"})

All-or-nothing and idempotent; formats in docs/import-formats.md.
"""

from recoup.ledger.imports.columns import COLUMNS, KINDS
from recoup.ledger.imports.presets import PRESETS, TOOLS
from recoup.ledger.imports.reading import Limits
from recoup.ledger.imports.runner import ImportResult, RowError, import_csv

__all__ = ["COLUMNS", "KINDS", "PRESETS", "TOOLS", "ImportResult", "Limits", "RowError", "import_csv"]
