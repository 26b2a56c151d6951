"""`recoup serve` and `recoup run`: the demo is served over HTTP and the printed login works."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOGIN_PATH = "/accounts/login/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    env = {**os.environ, "RECOUP_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "RECOUP_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _recoup(env, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "recoup.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _start(env, *args: str, ready: str) -> tuple[subprocess.Popen, str]:
    """Start a long-running verb and wait for the line that says it listens."""
    proc = subprocess.Popen([sys.executable, "-m", "recoup.cli", *args], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if ready in line:
            return proc, line
    proc.wait(timeout=10)
    pytest.fail(f"`recoup {' '.join(args)}` exited without {ready!r}:\n{''.join(seen)}")


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def _log_in(base: str, username: str, password: str) -> tuple[str, str]:
    """Log in through the real form; returns the final URL and page."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(base + LOGIN_PATH, timeout=30) as page:
        assert page.status == 200
        form = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    with opener.open(base + LOGIN_PATH, data=data.encode(), timeout=30) as landed:
        assert landed.status == 200
        return landed.url, landed.read().decode()


def test_serve_serves_the_demo_and_the_printed_password_logs_in(env):
    _recoup(env, "migrate", "--noinput", "-v0")
    printed = _recoup(env, "demo", "--customers", "6", "--history-days", "0")
    password = re.search(r"Password: (\S+)", printed).group(1)
    port = _free_port()
    proc, _ = _start(env, "serve", "--port", str(port), ready="Serving on")
    try:
        url, page = _log_in(f"http://127.0.0.1:{port}", "owner", password)
        assert "/o/oakline/" in url
        assert "Oakline Joinery" in page
    finally:
        _stop(proc)


def test_run_sets_up_an_empty_database_prints_the_login_and_stops_cleanly(env, tmp_path):
    port = _free_port()
    proc, line = _start(env, "run", "--port", str(port), ready="Recoup is running at")
    try:
        match = re.search(rf"http://127\.0\.0\.1:{port} — log in as (\S+) / (\S+)", line)
        assert match, line
        url, page = _log_in(f"http://127.0.0.1:{port}", match[1], match[2])
        assert "/o/oakline/" in url
    finally:
        assert _stop(proc) == 0
    assert (tmp_path / "demo-login.txt").exists()

    # A second start keeps the data and prints the same login again.
    proc, again = _start(env, "run", "--port", str(port), "--no-worker", ready="Recoup is running at")
    _stop(proc)
    assert again.strip() == line.strip()
