"""`recoup check --deploy` refuses a base URL debtors cannot reach: reminders would carry localhost links."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000", "https://localhost",
                                 "http://[::1]:8000", "http://0.0.0.0:8000", "ftp://pay.example.com",
                                 "pay.example.com", ""])
def test_the_deploy_check_refuses_a_base_url_debtors_cannot_reach(db, settings, url):
    settings.RECOUP_BASE_URL = url
    with pytest.raises(SystemCheckError, match="RECOUP_BASE_URL"):
        call_command("check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_public_base_url_passes(db, settings, monkeypatch):
    settings.RECOUP_BASE_URL = "https://pay.example.com"
    settings.ALLOWED_HOSTS = ["pay.example.com"]  # the base URL's host must be one this server answers for
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)  # set by the browser tests in this process
    out = io.StringIO()
    call_command("check", "--deploy", stdout=out, stderr=io.StringIO())
    assert "ledger OK" in out.getvalue()


def test_a_base_url_on_a_host_this_server_refuses_fails(db, settings, monkeypatch):
    settings.RECOUP_BASE_URL = "https://pay.example.com"
    settings.ALLOWED_HOSTS = ["recoup.internal"]
    with pytest.raises(SystemCheckError, match="not in RECOUP_ALLOWED_HOSTS"):
        call_command("check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())


def test_without_deploy_the_default_is_fine_for_trying_recoup_out(db, settings):
    settings.RECOUP_BASE_URL = "http://127.0.0.1:8000"
    call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
