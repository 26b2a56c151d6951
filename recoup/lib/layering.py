"""Which Recoup apps a package imports: the layer tests read it (``recoup/*/tests/test_layers.py``).

Every ``import`` counts, at module level or inside a function: a deferred import still ties a
circle. Test modules are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


def module_imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in the file at ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def app_imports(package: Path) -> Iterator[tuple[str, int, str]]:
    """(file, line, app) for every import of a Recoup app from the code of ``package`` (its tests left
    out); ``file`` is relative to the repository root."""
    root = package.parent.parent
    for path in sorted(package.rglob("*.py")):
        if "tests" in path.relative_to(package).parts:
            continue
        for line, module in module_imports(path):
            parts = module.split(".")
            if parts[0] == "recoup" and len(parts) > 1:
                yield str(path.relative_to(root)), line, parts[1]
