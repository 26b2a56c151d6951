"""Which of several schedulers acts: the one holding the leader lock.

On PostgreSQL the lock is a session-level advisory lock on the scheduler's own database
connection: the leader keeps it as long as its connection lives, and when the leader dies
(killed, its machine gone) PostgreSQL ends the session and the lock with it, so the next
scheduler to ask takes over within one interval. On SQLite (one machine) it is an exclusive
``flock`` on a file beside the database (``recoup.sqlite3.scheduler-lock``), which the operating
system releases when the process ends; an in-memory database (tests) has one process only.

``hold()`` is asked before every pass: it confirms the lock is still held on the connection in
use (a connection that was dropped and opened again has lost it) and tries to take it when it
is not. Whatever the lock says, the day's claim (``collections.ScheduledRun``) and the unique
step decisions still make a day's work happen once: the lock makes one scheduler act, the
claims make that safe even if two ever did.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.db import connection

# The advisory lock's key (one 64-bit number for the whole install): "recoup" in ASCII.
SCHEDULER_LOCK_KEY = 0x7265636F7570

_HOLD_SQL = """
SELECT CASE WHEN EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
      AND classid = (%s >> 32)::oid AND objid = (%s & 4294967295)::oid AND objsubid = 1
) THEN true ELSE pg_try_advisory_lock(%s) END, pg_backend_pid()
"""
# How the scheduler's session makes PostgreSQL notice soon that the leader is gone, so its lock is
# freed: a killed process even while its query waits (the connection is checked every 2 s), a
# machine that vanished from the network (TCP keepalives after 30 s of silence, 3 probes 10 s apart).
_SESSION_SQL = ("SET client_connection_check_interval = '2s'; SET tcp_keepalives_idle = 30; "
                "SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3")


class SchedulerLock:
    """The scheduler's leader lock, by whichever means the database allows."""

    def __init__(self, *, key: int = SCHEDULER_LOCK_KEY, path: Path | None = None):
        """``path``: the lock file on SQLite (default: beside the database file)."""
        self.key = key
        self.path = path
        self._fd: int | None = None
        self._session: int | None = None  # the PostgreSQL backend whose session settings are made

    def hold(self) -> bool:
        """True while this process holds the lock (taking it if free); False when another does."""
        if self.path is None and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_HOLD_SQL, [self.key, self.key, self.key])
                held, backend = cursor.fetchone()
                if held and backend != self._session:
                    cursor.execute(_SESSION_SQL)  # once per database session
                    self._session = backend
                return bool(held)
        return self._hold_file()

    def _hold_file(self) -> bool:
        import fcntl

        if self._fd is not None:
            return True
        if self.path is None and connection.is_in_memory_db():
            return True  # no other process can open this database
        path = self.path or Path(f"{connection.settings_dict['NAME']}.scheduler-lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock up (a clean stop); a killed process loses it anyway."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.path is None and connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")
