"""axe-core in the browser tests: the serious and critical accessibility violations on the page a test has open.

axe-core comes from the npm registry, vendored with its licence in tests/browser/vendor/axe-core/ (see its
README). It is evaluated through the DevTools protocol, so Recoup's Content-Security-Policy, which refuses inline
scripts, neither blocks it nor is loosened for it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@cache
def _axe_source() -> str:
    source = AXE.read_text(encoding="utf-8")
    assert f"axe v{AXE_VERSION}" in source[:200], f"{AXE} is not axe-core {AXE_VERSION}"
    return source


def serious_violations(page) -> list[str]:
    """One line per serious or critical axe-core violation on the open page: rule, impact and where."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                 nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}));
        }"""
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
            for v in violations if v["impact"] in SERIOUS]
