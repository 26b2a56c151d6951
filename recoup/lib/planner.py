"""Fresh statistics for the database's query planner.

SQLite plans from the table statistics that ``ANALYZE`` writes (sqlite_stat1) and never
gathers them itself: without them, a customer's invoices up to a date were read through the
(org, issue_date) index, i.e. every invoice of the organization (0.5 s at 100,000 invoices),
instead of through (org, customer). The scheduler refreshes them once a day after the cycles;
PostgreSQL's autovacuum keeps its own, so there this does nothing.
"""

from __future__ import annotations

from django.db import connection


def planner_statistics_refresh() -> bool:
    """Run ``ANALYZE`` on SQLite; True when it ran."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
