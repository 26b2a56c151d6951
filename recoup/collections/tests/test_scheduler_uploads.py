"""The scheduler's daily run also removes import uploads abandoned before confirmation, so a file
uploaded for a preview and never confirmed does not stay on disk until someone uploads again."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from recoup.collections.scheduler import scheduler_tick

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)  # 13:00 in London: acme's day is due


def _aged(path, age: timedelta) -> None:
    path.write_bytes(b"number,customer\n")
    when = (NOW - age).timestamp()
    os.utime(path, (when, when))


def test_the_days_run_sweeps_abandoned_uploads_and_keeps_fresh_ones(org_a, settings, tmp_path):
    settings.VAR_DIR, settings.RECOUP_UPLOAD_MAX_AGE_HOURS = tmp_path, 24
    folder = tmp_path / "uploads"
    folder.mkdir()
    old, fresh = folder / ("o" * 24 + ".csv"), folder / ("n" * 24 + ".einvoice")
    _aged(old, timedelta(hours=30))
    _aged(fresh, timedelta(hours=2))

    report = scheduler_tick(now=NOW, orgs=[org_a], deliver=False)

    assert [org for org, _ in report.ran] == [org_a]
    assert not old.exists() and fresh.exists()
