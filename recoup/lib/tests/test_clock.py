"""The simulated clock (RECOUP_CLOCK_FILE): every process reads the same pretend time, and it moves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from recoup.lib.clock import FileClock, parse_clock_line, simulated_time, write_clock
from recoup.lib.env import ConfigError

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 3, 3, 6, 59, tzinfo=timezone.utc)


def test_the_pretend_time_runs_at_the_given_speed_from_when_the_file_was_written():
    assert simulated_time(START, 60, written_at=1000.0, real_now=1010.0) == START + timedelta(minutes=10)
    assert simulated_time(START, 0, written_at=1000.0, real_now=5000.0) == START


@pytest.mark.parametrize("line, message", [
    ("", "expected 'ISO-DATETIME"),
    ("tomorrow", "'tomorrow' is not an ISO date-time"),
    ("2026-03-03T06:59:00", "has no UTC offset"),
    ("2026-03-03T06:59:00+00:00 fast", "speed 'fast' is not a number"),
    ("2026-03-03T06:59:00+00:00 -2", "must be between 0 and 1000000"),
    ("2026-03-03T06:59:00+00:00 2 3", "expected 'ISO-DATETIME"),
])
def test_a_bad_clock_file_is_refused_naming_the_file(line, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_clock_line(line, source="/etc/recoup/clock")
    assert "/etc/recoup/clock" in str(caught.value)


def test_speed_may_be_written_with_an_x():
    assert parse_clock_line("2026-03-03T06:59:00+01:00 600x", source="f") == (
        datetime(2026, 3, 3, 5, 59, tzinfo=timezone.utc), 600.0)


def test_rewriting_the_file_moves_the_clock_of_a_running_reader(tmp_path):
    path = tmp_path / "clock"
    write_clock(path, START)
    clock = FileClock(path)
    assert abs((clock.now() - START).total_seconds()) < 2
    later = START + timedelta(days=1, hours=2)
    time.sleep(0.01)  # a later modification time
    write_clock(path, later, speed=0)
    assert clock.now() == later


def test_every_recoup_process_reads_the_clock_file(tmp_path):
    path = tmp_path / "clock"
    write_clock(path, START, speed=0)
    env = {**os.environ, "RECOUP_CLOCK_FILE": str(path), "RECOUP_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-m", "recoup.cli", "shell", "-c",
                           "from django.utils import timezone; print(timezone.now().isoformat())"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == START.isoformat()
    assert "simulated clock" in done.stderr  # said loudly: never meant for production


def test_a_missing_clock_file_stops_the_command_with_its_name(tmp_path):
    env = {**os.environ, "RECOUP_CLOCK_FILE": str(tmp_path / "nope"), "RECOUP_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-m", "recoup.cli", "help"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and f"RECOUP_CLOCK_FILE={tmp_path / 'nope'}" in done.stderr
