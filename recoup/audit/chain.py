"""The hash chain's rule: what an audit event's hash covers (pure; no Django).

Each event's hash is SHA-256 over a canonical JSON document of its content and
the previous event's hash in the same organization. Changing any covered field,
deleting an event or swapping two events changes a hash that a later check
recomputes, so ``recoup audit verify`` finds the first event that no longer fits.

Covered: organization id, sequence number, time (UTC, microseconds), actor kind and
label, verb, subject type and id, customer id, summary, data, previous hash. Not
covered: the database id and the actor's user id (a user row may be deactivated or
merged; the label is the evidence).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64


def normalize_data(data: Any) -> Any:
    """``data`` as it reads back from a JSON column (tuples become lists, keys strings)."""
    return json.loads(json.dumps(data if data is not None else {}, ensure_ascii=False))


def canonical(*, org_id: int, seq: int, at: datetime, actor_kind: str, actor_label: str, verb: str,
              subject_type: str, subject_id: int | None, customer_id: int | None, summary: str,
              data: Any, prev_hash: str) -> bytes:
    """The bytes an event's hash is taken over."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    doc = {
        "org": org_id, "seq": seq, "at": at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor_kind": actor_kind, "actor": actor_label, "verb": verb, "subject_type": subject_type,
        "subject_id": subject_id, "customer": customer_id, "summary": summary,
        "data": normalize_data(data), "prev": prev_hash,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(**content: Any) -> str:
    """SHA-256 (hex) of ``canonical(**content)``."""
    return hashlib.sha256(canonical(**content)).hexdigest()
