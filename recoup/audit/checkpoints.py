"""Signed checkpoints of each organization's chain head, kept outside the database.

The hash chain finds an edited, deleted or moved event, but not a chain rewritten from some
event to the end with every later hash recomputed, nor the last events cut off with the head
moved back: both are again a chain that fits. A checkpoint anchors the chain outside the
database: the organization, the sequence number and hash of its head and the time, signed with
the Ed25519 key of ``recoup.audit.signing`` (a file the database does not hold). Each is
appended to ``RECOUP_AUDIT_CHECKPOINT_FILE`` (JSON Lines) and copied where the database cannot
reach: the daily digest e-mail and each backup's manifest. ``recoup audit verify`` checks each
chain against every checkpoint it finds: an event at a checkpointed sequence number with another
hash is a rewrite, a chain ending before a checkpoint a cut tail, a bad signature a forged
checkpoint.

A checkpoint is signed only after the chain verifies up to the head (from the organization's
last checkpoint on, so a day's checkpoint reads a day's events), so it vouches for everything
before it.
"""

from __future__ import annotations

import email
import email.policy
import fcntl
import json
import os
import tarfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from django.conf import settings

from recoup.audit.chain import GENESIS
from recoup.audit.models import AuditEvent
from recoup.audit.selectors import ChainReport, chain_verify
from recoup.audit.signing import existing_public_key, public_key_hex, sign, signature_valid, signing_key
from recoup.orgs.models import Organization

# How a checkpoint is written in a text (the digest): this word, a space, its JSON on one line.
TEXT_PREFIX = "recoup-audit-checkpoint"
FIELDS = ("org_id", "org", "seq", "hash", "at", "key", "sig")


class CheckpointError(Exception):
    """A file given as a source of checkpoints that cannot be read; the message names it."""


@dataclass(frozen=True)
class Checkpoint:
    org_id: int
    org: str  # the slug when it was taken, for people; the id is what counts
    seq: int
    hash: str
    at: str  # ISO 8601, UTC
    key: str  # the signer's public key, 64 hex digits
    sig: str = ""

    def signed_bytes(self) -> bytes:
        doc = {k: v for k, v in asdict(self).items() if k != "sig"}
        return json.dumps({"v": 1, **doc}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def text(self) -> str:
        """The checkpoint as a line of text, as the digest carries it."""
        return f"{TEXT_PREFIX} {self.line()}"

    @property
    def signature_ok(self) -> bool:
        return signature_valid(self.key, self.sig, self.signed_bytes())

    @classmethod
    def from_json(cls, doc: Any) -> "Checkpoint":
        if not isinstance(doc, dict) or set(FIELDS) - set(doc):
            raise ValueError(f"a checkpoint has the fields {', '.join(FIELDS)}")
        try:
            return cls(org_id=int(doc["org_id"]), org=str(doc["org"]), seq=int(doc["seq"]), hash=str(doc["hash"]),
                       at=str(doc["at"]), key=str(doc["key"]), sig=str(doc["sig"]))
        except (TypeError, ValueError):
            raise ValueError("a checkpoint's org_id and seq are whole numbers") from None


@dataclass(frozen=True)
class Taken:
    """The outcome of taking one organization's checkpoint: the checkpoint, or why there is none."""

    org: str
    checkpoint: Checkpoint | None
    problem: str = ""

    def text(self) -> str:
        if self.checkpoint:
            return self.checkpoint.text()
        return f"{self.org}: no checkpoint: {self.problem}"


# --- the checkpoint file -------------------------------------------------------------------------

def _file() -> Path:
    return Path(settings.RECOUP_AUDIT_CHECKPOINT_FILE)


def _append(checkpoints: Iterable[Checkpoint]) -> None:
    """Append to the checkpoint file (made 0600), under an exclusive lock, each line in one write."""
    path = _file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        out.write("".join(cp.line() + "\n" for cp in checkpoints))
        out.flush()
        os.fsync(out.fileno())


def trusted_keys() -> set[str]:
    """The public keys whose checkpoints are believed: this install's, and ``RECOUP_AUDIT_TRUSTED_KEYS``."""
    own = existing_public_key(settings.RECOUP_AUDIT_KEY_FILE)
    return {k.lower() for k in settings.RECOUP_AUDIT_TRUSTED_KEYS} | ({own} if own else set())


def _last_own(org: Organization, key: str) -> tuple[int, str] | None:
    """The newest checkpoint of ``org`` in the file signed by ``key`` (seq, hash): where a walk may start."""
    best = None
    for cp in read_checkpoints(_file()) if _file().exists() else []:
        if cp.org_id == org.pk and cp.key == key and cp.signature_ok and (best is None or cp.seq >= best[0]):
            best = (cp.seq, cp.hash)
    return best


def checkpoint_take(*, org: Organization, now: datetime) -> Taken:
    """Verify the organization's chain since its last checkpoint, then sign its head and append that.

    When the chain does not verify nothing is signed (a checkpoint vouches for the chain before it);
    the outcome says why, for the digest and the command to show.
    """
    key = signing_key(settings.RECOUP_AUDIT_KEY_FILE)
    public = public_key_hex(key)
    since = _last_own(org, public)
    report = chain_verify(org, since=since)
    if not report.ok and since is not None:
        # Name the first broken event when the whole chain shows one; a chain rewritten and re-hashed
        # to the end shows none, and the checkpoint it contradicts is then the finding.
        whole = chain_verify(org)
        report = report if whole.ok else whole
    if not report.ok:
        return Taken(org.slug, None, report.text())
    unsigned = Checkpoint(org_id=org.pk, org=org.slug, seq=report.seq, hash=report.hash,
                          at=now.astimezone(timezone.utc).isoformat(timespec="seconds"), key=public)
    checkpoint = Checkpoint(**{**asdict(unsigned), "sig": sign(key, unsigned.signed_bytes())})
    _append([checkpoint])
    return Taken(org.slug, checkpoint)


def checkpoints_take(*, now: datetime, orgs: Iterable[Organization] | None = None) -> list[Taken]:
    """``checkpoint_take`` for each organization (all of them by default)."""
    orgs = Organization.objects.order_by("slug") if orgs is None else orgs
    return [checkpoint_take(org=org, now=now) for org in orgs]


def checkpoints_keep(checkpoints: Iterable[Checkpoint]) -> int:
    """Append checkpoints found elsewhere (a restored backup's) to the file; those already there and
    those with a bad signature are left out. Returns how many were added."""
    known = {cp.line() for cp in read_checkpoints(_file())} if _file().exists() else set()
    new = [cp for cp in dict.fromkeys(checkpoints) if cp.signature_ok and cp.line() not in known]
    if new:
        _append(new)
    return len(new)


# --- reading checkpoints from wherever they were kept ----------------------------------------------

def _from_lines(text: str, where: str, *, every_line: bool = False, skip_damaged: bool = False) -> list[Checkpoint]:
    """Checkpoints on lines of ``text``: every line (the checkpoint file) or the lines that start with
    ``TEXT_PREFIX``; a line that does not read is an error naming it, unless ``skip_damaged``."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith(TEXT_PREFIX):
            line = line[len(TEXT_PREFIX):].strip()
        elif not every_line or not line:
            continue
        try:
            found.append(Checkpoint.from_json(json.loads(line)))
        except ValueError as exc:
            if not skip_damaged:
                raise CheckpointError(f"{where}, line {number}: not a checkpoint ({exc})") from None
    return found


def _from_manifest(doc: Any, where: str) -> list[Checkpoint]:
    try:
        return [Checkpoint.from_json(item) for item in doc.get("audit_checkpoints", [])]
    except (ValueError, AttributeError) as exc:
        raise CheckpointError(f"{where}: audit_checkpoints: {exc}") from None


def _from_email(raw: bytes, where: str) -> list[Checkpoint]:
    """From the text parts of a saved e-mail, and from its raw lines (a mail log holds several e-mails)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    found = []
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            found += _from_lines(part.get_content(), where)
    found += _from_lines(raw.decode("utf-8", errors="replace"), where, skip_damaged=True)
    return list(dict.fromkeys(found))


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in ``path``: the checkpoint file (JSON Lines), a backup archive or its
    ``manifest.json``, or a saved digest e-mail (or any text with ``recoup-audit-checkpoint`` lines).

    Raises: CheckpointError naming the file (and line) when it cannot be read as any of those.
    """
    path = Path(path)
    where = str(path)
    try:
        if tarfile.is_tarfile(path):
            with tarfile.open(path, "r:*") as tar:
                return _from_manifest(json.loads(tar.extractfile("manifest.json").read()), where)
        raw = path.read_bytes()
    except (OSError, KeyError, AttributeError, tarfile.TarError, ValueError) as exc:
        raise CheckpointError(f"{where}: cannot read checkpoints from it ({exc})") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "audit_checkpoints" in doc:
        return _from_manifest(doc, where)
    head = text.split("\n\n", 1)[0].lower()
    if "mime-version:" in head or "content-type:" in head:
        return _from_email(raw, where)
    # The checkpoint file: every line is one (a damaged line is an error); else a text carrying some.
    return _from_lines(text, where, every_line=text.lstrip().startswith("{"))


# --- checking a chain against checkpoints -----------------------------------------------------------

def checkpoint_problems(org: Organization, checkpoints: Iterable[Checkpoint], *,
                        trusted: set[str]) -> tuple[int, list[str]]:
    """Check the organization's chain against the checkpoints that name it.

    Returns how many checkpoints were checked and the problems: a bad signature (forged or
    damaged), a key not trusted (not checked further), an event whose hash differs from a
    checkpoint's (rewritten), a chain that ends before a checkpoint's event (cut).
    """
    mine = list(dict.fromkeys(cp for cp in checkpoints if cp.org_id == org.pk))
    problems, good = [], []
    untrusted: dict[str, int] = {}
    for cp in mine:
        if not cp.signature_ok:
            problems.append(f"checkpoint of {cp.at} at event #{cp.seq}: bad signature (forged or damaged)")
        elif cp.key.lower() not in trusted:
            untrusted[cp.key] = untrusted.get(cp.key, 0) + 1
        else:
            good.append(cp)
    problems += [f"{n} checkpoint(s) signed by key {key[:16]}…, which this install does not trust: not checked "
                 "(add it to RECOUP_AUDIT_TRUSTED_KEYS once you know it is yours)" for key, n in untrusted.items()]
    hashes = dict(AuditEvent.objects.for_org(org).filter(seq__in={cp.seq for cp in good})
                  .values_list("seq", "hash"))
    last = AuditEvent.objects.for_org(org).order_by("-seq").values_list("seq", flat=True).first() or 0
    for cp in sorted(good, key=lambda c: (c.seq, c.at)):
        stored = GENESIS if cp.seq == 0 else hashes.get(cp.seq)
        if stored is None and cp.seq > last:
            problems.append(f"chain ends at event #{last}, but the checkpoint of {cp.at} vouches for event #{cp.seq} "
                            "(events at the end removed)")
        elif stored is None:
            problems.append(f"event #{cp.seq} is missing; the checkpoint of {cp.at} vouches for it")
        elif stored != cp.hash:
            problems.append(f"event #{cp.seq} differs from the checkpoint of {cp.at} (history rewritten)")
    return len(mine), problems


@dataclass(frozen=True)
class VerifyReport:
    """One organization's chain checked on its own and against the checkpoints."""

    chain: ChainReport
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems

    def as_json(self) -> dict[str, Any]:
        return {**self.chain.as_json(), "ok": self.ok, "checkpoints_checked": self.checked,
                "checkpoint_problems": self.problems}

    def text(self) -> str:
        lines = [self.chain.text() + (f"; {self.checked} checkpoint(s) checked" if self.chain.ok else "")]
        return "\n".join(lines + [f"{self.chain.org}: {problem}" for problem in self.problems])


def audit_verify(org: Organization, checkpoints: Iterable[Checkpoint], *, trusted: set[str]) -> VerifyReport:
    checked, problems = checkpoint_problems(org, checkpoints, trusted=trusted)
    return VerifyReport(chain_verify(org), checked, problems)


def orphan_checkpoints(checkpoints: Iterable[Checkpoint]) -> list[str]:
    """Problems for validly signed checkpoints of organizations no longer in the database."""
    named = {(cp.org_id, cp.org) for cp in checkpoints if cp.signature_ok}
    present = set(Organization.objects.filter(pk__in={pk for pk, _ in named}).values_list("pk", flat=True))
    return [f"organization #{pk} ({slug}) has checkpoints but is not in the database"
            for pk, slug in sorted(named) if pk not in present]


def known_checkpoints(paths: Iterable[Path] = ()) -> list[Checkpoint]:
    """The checkpoint file's checkpoints (when it exists) and those in each of ``paths``."""
    sources = ([_file()] if _file().exists() else []) + [Path(p) for p in paths]
    return list(dict.fromkeys(cp for path in sources for cp in read_checkpoints(path)))
