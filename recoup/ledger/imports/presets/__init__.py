"""Where a CSV file comes from: Recoup's own columns, or a preset for a tool's export."""

from __future__ import annotations

from recoup.ledger.imports.presets.base import Field, Reduce, Source, ours
from recoup.ledger.imports.presets.tools import FRESHBOOKS, INVOICE2GO, INVOICENINJA, QUICKBOOKS, SAGE, WAVE_CUSTOMERS, XERO, ZOHO
from recoup.ledger.imports.presets.wave import WAVE_INVOICES

PRESETS: dict[tuple[str, str], Source] = {
    (s.key, s.kind): s
    for s in (*FRESHBOOKS, WAVE_CUSTOMERS, WAVE_INVOICES, *ZOHO, INVOICE2GO, INVOICENINJA, *QUICKBOOKS, *XERO, *SAGE)
}
# --from names, in the order the docs and the web form list them
TOOLS: dict[str, str] = {}
for _source in PRESETS.values():
    TOOLS.setdefault(_source.key, _source.tool)
TOOLS = dict(sorted(TOOLS.items()))


def source_for(key: str, kind: str) -> Source:
    """The source named ``key`` ("" for Recoup's columns) for ``kind``.

    Raises: ValueError naming the tools that have a preset for ``kind``.
    """
    if not key:
        return ours(kind)
    found = PRESETS.get((key, kind))
    if found is None:
        known = ", ".join(k for (k, c) in PRESETS if c == kind)
        what = f"{TOOLS[key]} has no preset for {kind}" if key in TOOLS else f"unknown source {key!r}"
        raise ValueError(f"{what}; for {kind} use one of: {known}")
    return found


__all__ = ["PRESETS", "TOOLS", "Field", "Reduce", "Source", "source_for"]
