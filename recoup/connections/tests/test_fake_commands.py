"""``recoup fake-xero``, ``fake-quickbooks`` and ``fake-stripe-billing`` start, answer, and stop on Ctrl-C."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command

from recoup.connections.fakes.testing import http, specs_or_skip


@pytest.mark.parametrize("command, probe", [
    ("fake-xero", "/connections"),
    ("fake-quickbooks", "/v3/company/1/query?query=select%20*%20from%20Invoice"),
    ("fake-stripe-billing", "/v1/customers"),
])
def test_the_command_prints_where_the_fake_listens_and_it_answers(command, probe, monkeypatch):
    specs_or_skip()
    started = []
    monkeypatch.setattr("recoup.connections.fakes.server.serve_until_interrupted",
                        lambda fake, say: started.append(fake))
    out = io.StringIO()
    call_command(command, port=0, seed="none", stdout=out)
    fake = started[0]
    try:
        assert f"at {fake.url}" in out.getvalue() and "_URL=" in out.getvalue()
        assert http("GET", fake.url + probe).status == 401  # up, and asking for a token as the provider does
    finally:
        fake.stop()


def test_ctrl_c_stops_the_fake_cleanly():
    specs_or_skip()
    process = subprocess.Popen([sys.executable, "-m", "recoup.cli", "fake-xero", "--port", "0", "--seed", "none"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "DJANGO_SETTINGS_MODULE": "recoup.settings"})
    try:
        url = next((m.group(1) for line in process.stdout
                    if (m := re.search(r"at (http://127\.0\.0\.1:\d+)", line))), None)
        assert url and http("GET", url + "/connections").status == 401
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0
