"""The ledger is low in the stack: it imports only the core, organizations, the audit log, the
lib helpers and itself, not even inside a function (a deferred import still ties a circle)."""

from __future__ import annotations

from pathlib import Path

from recoup.lib.layering import app_imports, module_imports

LEDGER = Path(__file__).resolve().parents[1]
ALLOWED = {"core", "orgs", "audit", "lib", "ledger"}


def test_the_ledger_imports_no_app_above_it():
    found = [f"{path}:{line} imports recoup.{app}" for path, line, app in app_imports(LEDGER) if app not in ALLOWED]
    assert found == []


def test_the_ledger_models_import_no_module_that_imports_them():
    """``models`` sits at the bottom of the ledger: it imports no other ledger module."""
    own = [m for _, m in module_imports(LEDGER / "models.py") if m.startswith("recoup.ledger")]
    assert own == []
