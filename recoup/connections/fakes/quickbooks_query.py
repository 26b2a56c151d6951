"""QuickBooks Online's query language and Change Data Capture, as the fake understands them.

``run_query(company, text)`` answers ``GET /v3/company/<realm>/query?query=...``:
``SELECT * | COUNT(*) FROM <Entity> [WHERE <field> <op> <value> [AND ...]]
[ORDERBY <field> [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]`` with the operators
``= < > <= >= IN LIKE`` on Id, DocNumber, TxnDate, DisplayName, Active, Balance,
CustomerRef and MetaData.CreateTime / MetaData.LastUpdatedTime. STARTPOSITION is 1-based,
MAXRESULTS defaults to 100 and may not exceed 1000; inactive customers are left out unless
the query names ``Active``; deleted entities never appear. Anything else raises
``QboError`` (Intuit's QueryParserError, code 4000) naming what was not understood.

``run_cdc(company, entities, changed_since, now)`` answers ``GET .../cdc``: every entity of
those kinds changed at or after ``changedSince`` (at most 30 days back, at most 1000 per
kind), deleted ones as ``{"Id", "status": "Deleted", "MetaData"}``. The third-party
description has no CDC; this follows Intuit's documentation of the endpoint and its
answer ``{"CDCResponse": [{"QueryResponse": [{"<Entity>": [...], "startPosition",
"maxResults", "totalCount"}, ...]}]}``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from recoup.connections.fakes.quickbooks_books import KINDS, Company, QboError, public, stamp

QUERY = re.compile(
    r"^\s*select\s+(?P<what>\*|count\(\*\))\s+from\s+(?P<kind>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+orderby\s+(?P<order>[\w.]+)(?:\s+(?P<dir>asc|desc))?)?"
    r"(?:\s+startposition\s+(?P<start>\d+))?"
    r"(?:\s+maxresults\s+(?P<max>\d+))?\s*$", re.IGNORECASE | re.DOTALL)
CLAUSE = re.compile(r"^\s*(?P<field>[\w.]+)\s*(?P<op><=|>=|=|<|>|\bin\b|\blike\b)\s*(?P<value>.+?)\s*$",
                    re.IGNORECASE)
FIELDS = {"Id", "DocNumber", "TxnDate", "DisplayName", "Active", "Balance", "CustomerRef",
          "MetaData.CreateTime", "MetaData.LastUpdatedTime"}


def _parse_error(detail: str) -> QboError:
    return QboError("Error parsing query", code="4000", detail=f"QueryParserError: {detail}")


def _value(text: str) -> object:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        return [_value(part) for part in re.findall(r"'[^']*'|[^,\s]+", text[1:-1])]
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return Decimal(text)
    except ArithmeticError:
        raise _parse_error(f"Encountered \"{text}\"") from None


def _field(entity: dict, name: str) -> object:
    if name == "CustomerRef":
        return entity.get("CustomerRef", {}).get("value")
    if name.startswith("MetaData."):
        return entity.get("_updated") if name.endswith("LastUpdatedTime") else \
            _when(entity["MetaData"]["CreateTime"])
    return entity.get(name)


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _matches(entity: dict, field: str, op: str, value: object) -> bool:
    actual = _field(entity, field)
    if field.startswith("MetaData."):
        value = _when(str(value))
    elif isinstance(actual, Decimal) and not isinstance(value, list):
        value = Decimal(str(value))
    elif isinstance(actual, str) and isinstance(value, Decimal):
        value = str(value)
    op = op.lower()
    if op == "in":
        return actual in (value if isinstance(value, list) else [value])
    if op == "like":
        pattern = "^" + re.escape(str(value)).replace("%", ".*") + "$"
        return re.match(pattern, str(actual or ""), re.IGNORECASE) is not None
    if actual is None:
        return False
    return {"=": actual == value, "<": actual < value, ">": actual > value, "<=": actual <= value,
            ">=": actual >= value}[op]


def run_query(company: Company, text: str) -> dict:
    match = QUERY.match(text or "")
    if not match:
        raise _parse_error(f"the fake does not understand {text!r}")
    kind = next((k for k in KINDS if k.lower() == match["kind"].lower()), None)
    if kind is None:
        raise _parse_error(f"Invalid entity {match['kind']!r} (the fake holds {', '.join(KINDS)})")
    clauses = []
    for part in re.split(r"\s+and\s+", match["where"] or "", flags=re.IGNORECASE) if match["where"] else []:
        clause = CLAUSE.match(part)
        if not clause or clause["field"] not in FIELDS:
            raise _parse_error(f"the fake does not understand the condition {part!r}")
        clauses.append((clause["field"], clause["op"], _value(clause["value"])))
    rows = list(company.entities[kind].values())
    if kind == "Customer" and not any(f == "Active" for f, _, _ in clauses):
        rows = [r for r in rows if r.get("Active", True)]
    for field, op, value in clauses:
        rows = [r for r in rows if _matches(r, field, op, value)]
    if match["what"].lower().startswith("count"):
        return {"QueryResponse": {"totalCount": len(rows)}}
    if match["order"]:
        if match["order"] not in FIELDS:
            raise _parse_error(f"cannot order by {match['order']!r}")
        rows.sort(key=lambda r: (_field(r, match["order"]) is None, _field(r, match["order"]) or 0),
                  reverse=(match["dir"] or "").lower() == "desc")
    start, size = int(match["start"] or 1), int(match["max"] or 100)
    if start < 1 or size > 1000:
        raise _parse_error("STARTPOSITION starts at 1 and MAXRESULTS may not exceed 1000")
    chunk = rows[start - 1: start - 1 + size]
    if not chunk:
        return {"QueryResponse": {}}
    return {"QueryResponse": {kind: [public(r) for r in chunk], "startPosition": start, "maxResults": len(chunk)}}


def run_cdc(company: Company, entities: str, changed_since: str, now: datetime) -> dict:
    try:
        since = _when(changed_since)
    except ValueError:
        raise QboError("Invalid changedSince", code="2040", element="changedSince") from None
    if since < now - timedelta(days=30):
        raise QboError("changedSince may be at most 30 days in the past", code="2040", element="changedSince")
    answers = []
    for name in [e.strip() for e in entities.split(",") if e.strip()]:
        kind = next((k for k in KINDS if k.lower() == name.lower()), None)
        if kind is None:
            raise QboError(f"Invalid entity {name!r} for CDC", code="2030", element="entities")
        rows = [public(r) for r in company.entities[kind].values() if r["_updated"] >= since]
        rows += [{"Id": i, "status": "Deleted", "MetaData": {"LastUpdatedTime": stamp(at)}}
                 for i, at in company.deleted[kind].items() if at >= since]
        rows = rows[:1000]
        answers.append({kind: rows, "startPosition": 1, "maxResults": len(rows), "totalCount": len(rows)})
    return {"CDCResponse": [{"QueryResponse": answers}]}
