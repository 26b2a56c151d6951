"""The ledger is low in the stack: it imports only the core, organizations, the audit log, the
lib helpers and itself, not even inside a function (a deferred import still ties a circle)."""

from __future__ import annotations

import ast
from pathlib import Path

LEDGER = Path(__file__).resolve().parents[1]
ALLOWED = {"core", "orgs", "audit", "lib", "ledger"}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_the_ledger_imports_no_app_above_it():
    found = []
    for path in sorted(LEDGER.rglob("*.py")):
        if "tests" in path.relative_to(LEDGER).parts:
            continue
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] == "recoup" and len(parts) > 1 and parts[1] not in ALLOWED:
                found.append(f"{path.relative_to(LEDGER.parent.parent)}:{line} imports {module}")
    assert found == []


def test_the_ledger_models_import_no_module_that_imports_them():
    """``models`` sits at the bottom of the ledger: it imports no other ledger module."""
    own = [m for _, m in _imports(LEDGER / "models.py") if m.startswith("recoup.ledger")]
    assert own == []
