"""The triggers that note every change to a customer's ledger in ``reports_agingchange``, whatever
code made it (actions, bulk updates, imports, raw SQL), once the organization has stored aging rows
(a ``reports_agingday`` row): the stored row of a noted customer is recomputed before it is read
(``aging_store``).

Installed by migration 0002 and again, where one is missing, after every ``migrate``
(``ReportsConfig``'s post_migrate): on SQLite a later migration that rebuilds a ledger table
(Django copies the table to alter a column) drops its triggers, and this puts them back.
``recoup/reports/tests/test_aging_store.py`` checks that every one is there.
"""

from __future__ import annotations

_BY_INVOICE = "(SELECT customer_id FROM ledger_invoice WHERE id = {r}.invoice_id)"

# table: (the customer a row belongs to, with {r} for NEW or OLD; the columns whose change matters;
# whether inserts and deletes matter too)
WATCHED = {
    "ledger_invoice": ("{r}.customer_id", ("customer_id", "currency", "open_minor", "due_date", "issue_date"), True),
    "ledger_payment": ("{r}.customer_id", ("customer_id", "currency", "unapplied_minor", "amount_minor", "date"),
                       True),
    "ledger_creditnote": ("{r}.customer_id", ("customer_id", "currency", "unapplied_minor", "amount_minor", "date"),
                          True),
    "ledger_allocation": (_BY_INVOICE, ("invoice_id", "payment_id", "credit_note_id", "amount_minor", "date"), True),
    "ledger_writeoff": (_BY_INVOICE, ("invoice_id", "amount_minor", "date"), True),
    "ledger_charge": (_BY_INVOICE, ("invoice_id", "amount_minor", "date"), True),
    "ledger_chargewaiver": ("(SELECT i.customer_id FROM ledger_charge c JOIN ledger_invoice i ON i.id = c.invoice_id"
                            " WHERE c.id = {r}.charge_id)", ("charge_id", "amount_minor", "date"), True),
    "ledger_customer": ("{r}.id", ("ref", "display_name", "legal_name"), False),
}

_ARMED = "EXISTS (SELECT 1 FROM reports_agingday WHERE org_id = {r}.org_id)"


def _sqlite_note(r: str, customer: str, extra: str = "") -> str:
    who = customer.format(r=r)
    return (f"INSERT INTO reports_agingchange (org_id, customer_id) SELECT {r}.org_id, c FROM (SELECT {who} AS c)"
            f" WHERE c IS NOT NULL{extra};")


def sqlite_forward() -> list[str]:
    out = []
    for table, (customer, columns, rows_too) in WATCHED.items():
        name = f"reports_aging_change_{table}"
        if rows_too:
            out.append(f"CREATE TRIGGER IF NOT EXISTS {name}_insert AFTER INSERT ON {table} "
                       f"WHEN {_ARMED.format(r='NEW')} BEGIN {_sqlite_note('NEW', customer)} END;")
            out.append(f"CREATE TRIGGER IF NOT EXISTS {name}_delete AFTER DELETE ON {table} "
                       f"WHEN {_ARMED.format(r='OLD')} BEGIN {_sqlite_note('OLD', customer)} END;")
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        other = f" AND c IS NOT {customer.format(r='NEW')}"
        out.append(f"CREATE TRIGGER IF NOT EXISTS {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                   f"WHEN ({changed}) AND {_ARMED.format(r='NEW')} "
                   f"BEGIN {_sqlite_note('NEW', customer)} {_sqlite_note('OLD', customer, other)} END;")
    return out


def sqlite_backward() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS reports_aging_change_{table}_{event}"
            for table in WATCHED for event in ("insert", "delete", "update")]


def postgres_forward(existing: set[str] = frozenset()) -> list[str]:
    out = []
    for table, (customer, columns, rows_too) in WATCHED.items():
        name = f"reports_aging_change_{table}"
        out.append(f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
DECLARE
    old_c bigint;
    new_c bigint;
BEGIN
    IF TG_OP <> 'INSERT' AND {_ARMED.format(r='OLD')} THEN
        old_c := {customer.format(r='OLD')};
        IF old_c IS NOT NULL THEN
            INSERT INTO reports_agingchange (org_id, customer_id) VALUES (OLD.org_id, old_c);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' AND {_ARMED.format(r='NEW')} THEN
        new_c := {customer.format(r='NEW')};
        IF new_c IS NOT NULL AND new_c IS DISTINCT FROM old_c THEN
            INSERT INTO reports_agingchange (org_id, customer_id) VALUES (NEW.org_id, new_c);
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""")
        if rows_too and name not in existing:
            out.append(f"CREATE TRIGGER {name} AFTER INSERT OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {name}()")
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        if f"{name}_update" not in existing:
            out.append(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                       f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {name}()")
    return out


def postgres_backward() -> list[str]:
    out = []
    for table in WATCHED:
        name = f"reports_aging_change_{table}"
        out += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP TRIGGER IF EXISTS {name}_update ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()"]
    return out


def expected_names(vendor: str) -> set[str]:
    if vendor == "sqlite":
        return {f"reports_aging_change_{t}_{e}" for t, (_, _, rows) in WATCHED.items()
                for e in (("insert", "delete", "update") if rows else ("update",))}
    return {f"reports_aging_change_{t}{e}" for t, (_, _, rows) in WATCHED.items()
            for e in (("", "_update") if rows else ("_update",))}


def installed_names(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                           " AND name LIKE 'reports_aging_change_%'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'reports_aging_change_%'")
        return {name for name, in cursor.fetchall()}


def install(connection) -> int:
    """Create the triggers missing on ``connection`` (SQLite or PostgreSQL); returns how many statements ran."""
    if connection.vendor == "sqlite":
        statements = sqlite_forward()
    elif connection.vendor == "postgresql":
        existing = installed_names(connection)
        if existing >= expected_names("postgresql"):
            return 0
        statements = postgres_forward(existing)
    else:
        return 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    return len(statements)


def uninstall(connection) -> None:
    statements = {"sqlite": sqlite_backward, "postgresql": postgres_backward}.get(connection.vendor, list)()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
