"""The simulated clock, a testing aid: every process of one install reads the same pretend time.

``RECOUP_CLOCK_FILE`` names a file holding one line, ``ISO-DATETIME [SPEED]``: the clock reads
that time at the moment the file was last written (its modification time) and runs ``SPEED``
simulated seconds per real second from there (default 1). Rewriting the file moves the clock
(forward only, in practice), and every process sees the change on its next reading.

The entry points (``recoup`` and the WSGI application) install it before anything reads the
time; it replaces ``django.utils.timezone.now``, which is the one clock the entry points,
Django and django-tasks read, so the web app, the workers and the scheduler all agree. Below
the entry points nothing reads a clock anyway (time is passed in). Never set it in production:
the scheduler would run the days the file says.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from recoup.lib.env import ConfigError

ENV = "RECOUP_CLOCK_FILE"


def parse_clock_line(text: str, *, source: str) -> tuple[datetime, float]:
    """``ISO-DATETIME [SPEED]`` -> (aware datetime, speed); a clear error naming ``source``."""
    parts = text.split()
    if not parts or len(parts) > 2:
        raise ConfigError(f"{source}: expected 'ISO-DATETIME [SPEED]', got {text.strip()!r}")
    try:
        start = datetime.fromisoformat(parts[0])
    except ValueError:
        raise ConfigError(f"{source}: {parts[0]!r} is not an ISO date-time (e.g. 2026-03-03T06:59:00+00:00)") from None
    if start.tzinfo is None:
        raise ConfigError(f"{source}: {parts[0]!r} has no UTC offset (add e.g. +00:00)")
    try:
        speed = float(parts[1].rstrip("x")) if len(parts) == 2 else 1.0
    except ValueError:
        raise ConfigError(f"{source}: speed {parts[1]!r} is not a number") from None
    if not 0 <= speed <= 1_000_000:
        raise ConfigError(f"{source}: speed {parts[1]!r} must be between 0 and 1000000")
    return start, speed


def simulated_time(start: datetime, speed: float, *, written_at: float, real_now: float) -> datetime:
    """The pretend time: ``start`` at ``written_at`` (Unix seconds), running ``speed`` times real time."""
    return (start + timedelta(seconds=(real_now - written_at) * speed)).astimezone(timezone.utc)


class FileClock:
    """``now()`` read from the clock file; the file is parsed again whenever it changes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: tuple[int, int] | None = None
        self._start: datetime | None = None
        self._speed = 1.0
        self._written_at = 0.0
        self._load()

    def _load(self) -> None:
        try:
            stat = self.path.stat()
        except OSError as exc:
            if self._start is not None:  # being rewritten (replaced): keep the last reading
                return
            raise ConfigError(f"{ENV}={self.path}: {exc.strerror or exc}") from None
        key = (stat.st_mtime_ns, stat.st_size)
        if key == self._seen:
            return
        text = self.path.read_text(encoding="utf-8")
        if not text.strip() and self._start is not None:  # caught half-written: keep the last reading
            return
        self._start, self._speed = parse_clock_line(text.strip().splitlines()[0] if text.strip() else "",
                                                    source=str(self.path))
        self._written_at, self._seen = stat.st_mtime_ns / 1e9, key

    def now(self) -> datetime:
        self._load()
        return simulated_time(self._start, self._speed, written_at=self._written_at, real_now=time.time())


def write_clock(path: Path, at: datetime, speed: float = 1.0) -> None:
    """Set the clock file to read ``at`` now, running at ``speed`` (written whole, then renamed)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{at.isoformat()} {speed:g}\n", encoding="utf-8")
    os.replace(partial, path)


def install_from_env() -> FileClock | None:
    """Called by the entry points: when ``RECOUP_CLOCK_FILE`` is set, Django's clock reads it."""
    path = os.environ.get("RECOUP_CLOCK_FILE", "").strip()
    if not path:
        return None
    from django.utils import timezone as dj_timezone

    if isinstance(getattr(dj_timezone.now, "__self__", None), FileClock):
        return dj_timezone.now.__self__  # installed already (``recoup serve`` loads the WSGI module too)
    clock = FileClock(Path(path))
    dj_timezone.now = clock.now
    print(f"recoup: simulated clock from {path} (testing aid): it is {clock.now().isoformat()}", file=sys.stderr)
    return clock


def running_from(start: datetime):
    """A clock that reads ``start`` first, then ``start`` plus the real time elapsed since that first
    reading: for a batch that must stamp each step with its own time (a claim made ten minutes into
    a batch is ten minutes younger than its start) while a simulated ``start`` (``--now``) still works."""
    began: list[float] = []

    def now() -> datetime:
        if not began:
            began.append(time.monotonic())
            return start
        return start + timedelta(seconds=time.monotonic() - began[0])

    return now
