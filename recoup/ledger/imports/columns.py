"""The columns of each import kind, and reading a header row against them."""

from __future__ import annotations

from dataclasses import dataclass

IGNORE = "-"

# column -> required?
COLUMNS: dict[str, dict[str, bool]] = {
    "customers": {
        "ref": True, "name": True, "kind": False, "email": False, "phone": False, "address": False,
        "country": False, "region": False, "timezone": False, "language": False, "credit_limit": False,
        "terms": False,
    },
    "invoices": {
        "number": True, "customer_ref": True, "issue_date": True, "due_date": False, "currency": False,
        "amount": True, "terms": False, "po_number": False, "description": False,
    },
    "payments": {
        "date": True, "customer_ref": True, "amount": True, "currency": False, "method": False,
        "reference": False, "invoice_number": False,
    },
    "credit-notes": {
        "number": True, "customer_ref": True, "date": True, "amount": True, "currency": False,
        "invoice_number": False,
    },
}
KINDS = tuple(COLUMNS)


def normalize(name: str) -> str:
    """Header cell as compared: BOM and surrounding whitespace removed, lower case."""
    return name.replace("\ufeff", "").strip().lower()


@dataclass
class Header:
    """Which of our columns sits at which position (None: ignored)."""

    positions: list[str | None]
    errors: list[tuple[str, str]]  # (column as in the file, message)

    @property
    def present(self) -> set[str]:
        return {p for p in self.positions if p}


def read_header(kind: str, cells: list[str], mapping: dict[str, str] | None) -> Header:
    """Match header cells to the kind's columns, applying ``mapping`` (file column -> ours or "-")."""
    ours = COLUMNS[kind]
    mapped = {normalize(k): normalize(v) if normalize(v) != IGNORE else IGNORE for k, v in (mapping or {}).items()}
    positions: list[str | None] = []
    errors: list[tuple[str, str]] = []
    for raw_target in sorted(set(mapped.values()) - {IGNORE} - set(ours)):
        errors.append((raw_target, f"--map target {raw_target!r} is not a {kind} column ({', '.join(ours)})"))
    for cell in cells:
        name = normalize(cell)
        target = mapped.get(name, name)
        if target == IGNORE or (not name and name not in mapped):
            positions.append(None)
            continue
        if target not in ours:
            errors.append((cell.strip(), f"unknown column {cell.strip()!r} for {kind}; expected {', '.join(ours)}"
                                         f" (map it with --map '{cell.strip()}=COLUMN' or ignore it with"
                                         f" --map '{cell.strip()}=-')"))
            positions.append(None)
        elif target in positions:
            errors.append((cell.strip(), f"column {target!r} appears twice"))
            positions.append(None)
        else:
            positions.append(target)
    for column, required in ours.items():
        if required and column not in positions:
            errors.append((column, f"required column {column!r} is missing"))
    return Header(positions=positions, errors=errors)
