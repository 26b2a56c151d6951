"""Does the database's schema match this code? Read before a process starts and by ``/readyz``.

Two ways to mismatch:
- *pending*: the code has migrations the database has not applied (run ``recoup upgrade``);
- *newer*: the database records migrations of Recoup's apps that this code does not have, so a
  newer version has upgraded it; an older version must not run on it (it would write rows the
  newer code does not expect), and ``recoup serve|worker|scheduler|upgrade`` refuse to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder


@dataclass(frozen=True)
class SchemaState:
    pending: tuple[str, ...]
    newer: tuple[str, ...]
    fresh: bool  # nothing applied yet: a new install

    @property
    def current(self) -> bool:
        return not self.pending and not self.newer


@dataclass(frozen=True)
class _Code:
    nodes: frozenset  # the migration graph's (app, name) nodes
    replaces: dict  # a squashed migration -> the migrations it replaces
    on_disk: frozenset  # every migration file, squashed or replaced
    apps: frozenset  # the app labels that have migrations


@lru_cache(maxsize=1)
def _code() -> _Code:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return _Code(frozenset(loader.graph.nodes),
                 {key: tuple(m.replaces) for key, m in loader.disk_migrations.items() if m.replaces},
                 frozenset(loader.disk_migrations), frozenset(loader.migrated_apps))


def schema_state() -> SchemaState:
    """Compare the applied migrations with the code's (one small query; the code's side is cached)."""
    code = _code()
    recorder = MigrationRecorder(connection)
    applied = set(recorder.applied_migrations()) if recorder.has_table() else set()

    def is_applied(key) -> bool:
        return key in applied or (key in code.replaces and all(r in applied for r in code.replaces[key]))

    pending = sorted(f"{app}.{name}" for app, name in code.nodes if not is_applied((app, name)))
    # Migrations of an app the code no longer has are left alone: only a known app can be "newer".
    newer = sorted(f"{app}.{name}" for app, name in applied if app in code.apps and (app, name) not in code.on_disk)
    return SchemaState(tuple(pending), tuple(newer), fresh=not applied)


def schema_problem(state: SchemaState) -> str | None:
    """What is wrong, in a sentence for the operator; None when the schema matches the code."""
    if state.newer:
        return (f"the database is newer than this code: it has {len(state.newer)} migration(s) this version does "
                f"not know ({', '.join(state.newer[:5])}{', ...' if len(state.newer) > 5 else ''}). Run the newer "
                f"version of Recoup, or restore the backup taken before the upgrade")
    if state.pending:
        return (f"the database needs {len(state.pending)} migration(s) this code has "
                f"({', '.join(state.pending[:5])}{', ...' if len(state.pending) > 5 else ''}): run `recoup upgrade`")
    return None
