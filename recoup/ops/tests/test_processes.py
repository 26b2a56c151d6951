"""Heartbeats of workers and schedulers, and the leader lock that lets exactly one scheduler act."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recoup.ops.heartbeats import HeartbeatThread, beat, fresh, live_processes, retire, stale_after
from recoup.ops.leader import SchedulerLock
from recoup.ops.models import Heartbeat

ROOT = Path(__file__).resolve().parents[3]


def test_a_beat_records_the_process_once_and_a_clean_stop_removes_it(db):
    beat(kind="worker", name="a:1")
    beat(kind="worker", name="a:1")
    beat(kind="scheduler", name="a:2", leader=True)
    assert Heartbeat.objects.count() == 2
    assert live_processes() == ["scheduler a:2", "worker a:1"]
    retire(kind="worker", name="a:1")
    assert live_processes() == ["scheduler a:2"]


def test_a_process_silent_for_six_beats_no_longer_counts(db, settings):
    from django.db.models import F

    settings.RECOUP_HEARTBEAT_SECONDS = 10
    beat(kind="worker", name="a:1")
    Heartbeat.objects.update(beat_at=F("beat_at") - stale_after() * 2)
    assert not fresh("worker", within=stale_after()).exists()


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_flags_the_leader_and_retires(settings):
    thread = HeartbeatThread(kind="scheduler", interval=0.05, name="h:9")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not Heartbeat.objects.filter(name="h:9").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert Heartbeat.objects.get(name="h:9").leader is False
        thread.leader = True
        thread.nudge()
        while not Heartbeat.objects.filter(name="h:9", leader=True).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert Heartbeat.objects.get(name="h:9").leader is True
    finally:
        thread.stop()
    assert not thread.is_alive() and not Heartbeat.objects.filter(name="h:9").exists()


def test_on_sqlite_one_lock_file_admits_one_scheduler(tmp_path):
    first, second = SchedulerLock(path=tmp_path / "db.sqlite3.scheduler-lock"), \
        SchedulerLock(path=tmp_path / "db.sqlite3.scheduler-lock")
    assert first.hold() and first.hold()  # asking again keeps it
    assert not second.hold()
    first.release()
    assert second.hold()
    second.release()


HOLDER = """
import sys, time
from pathlib import Path
from recoup.ops.leader import SchedulerLock
lock = SchedulerLock(path=Path(sys.argv[1]))
print("held" if lock.hold() else "refused", flush=True)
time.sleep(60)
"""


def test_on_sqlite_a_killed_leaders_lock_is_free_at_once(tmp_path, settings):
    path = tmp_path / "db.sqlite3.scheduler-lock"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "recoup.settings", "RECOUP_VAR_DIR": str(tmp_path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        standby = SchedulerLock(path=path)
        assert not standby.hold()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        assert standby.hold()
        standby.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
