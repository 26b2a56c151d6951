"""Signing in: passwords, authenticator codes, owners made to use them, throttling, reset by e-mail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from recoup.audit.models import AuditEvent
from recoup.orgs.actions import member_add

PASSWORD = "a long enough secret"


@pytest.fixture
def owner(org_a, system, now):
    return member_add(org=org_a, username="olga", role="owner", password=PASSWORD, email="olga@acme.test",
                      actor=system, now=now).user


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def test_it_logs_in_with_a_password_and_records_it(client, owner, org_a):
    response = client.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    assert response.status_code == 302
    event = AuditEvent.objects.for_org(org_a).get(verb="user.logged_in")
    assert event.actor_label == "olga" and event.data["two_factor"] is False


def test_a_user_with_an_authenticator_needs_the_code(client, owner):
    device = TOTPDevice.objects.create(user=owner, name="app", confirmed=True)
    page = client.post(reverse("login"), {"username": "olga", "password": PASSWORD}).content.decode()
    assert "Enter the code from your authenticator app" in page
    page = client.post(reverse("login"), {"username": "olga", "password": PASSWORD, "code": "000000"})
    assert page.status_code == 200 and "not right" in page.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(reverse("login"), {"username": "olga", "password": PASSWORD, "code": code_for(device)})
    assert response.status_code == 302


def test_an_organization_can_require_owners_to_use_two_factor(client, owner, org_a, system, now):
    collector = member_add(org=org_a, username="carl", role="collector", password=PASSWORD, actor=system, now=now).user
    org_a.require_owner_2fa = True
    org_a.save(update_fields=["require_owner_2fa"])
    dashboard = reverse("dashboard", args=[org_a.slug])
    client.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    response = client.get(dashboard)
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_setup"))
    page = client.get(response["Location"]).content.decode()
    assert 'src="data:image/svg+xml' in page
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": code_for(device), "next": dashboard})
    assert response.status_code == 302 and response["Location"] == dashboard
    assert client.get(dashboard).status_code == 200
    assert AuditEvent.objects.for_org(org_a).filter(verb="user.two_factor_enabled").exists()
    # A collector of the same organization is not asked.
    client.logout()
    client.force_login(collector)
    assert client.get(dashboard).status_code == 200


def test_an_owner_signed_in_before_the_rule_enters_a_code(client, owner, org_a):
    device = TOTPDevice.objects.create(user=owner, name="app", confirmed=True)
    client.force_login(owner)
    org_a.require_owner_2fa = True
    org_a.save(update_fields=["require_owner_2fa"])
    dashboard = reverse("dashboard", args=[org_a.slug])
    response = client.get(dashboard)
    assert response["Location"].startswith(reverse("two_factor_verify"))
    client.post(reverse("two_factor_verify"), {"code": code_for(device), "next": dashboard})
    assert client.get(dashboard).status_code == 200


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("login"), {"username": "olga", "password": "wrong"}).status_code == 200
    locked = client.post(reverse("login"), {"username": "olga", "password": "wrong"})
    assert locked.status_code == 429 and "Too many failed attempts" in locked.content.decode()
    again = client.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    assert again.status_code == 429, "the right password does not help while locked"
    assert "_auth_user_id" not in client.session


def test_a_password_is_reset_by_e_mail(client, owner):
    response = client.post(reverse("password_reset"), {"email": "olga@acme.test"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "another fine secret", "new_password2": "another fine secret"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("another fine secret")
    assert client.post(reverse("password_reset"), {"email": "nobody@acme.test"}).status_code == 302
    assert len(mail.outbox) == 1, "an unknown address is not revealed and gets nothing"


def test_sessions_expire_and_pages_carry_security_headers(client, owner, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE <= 24 * 3600
    response = client.get(reverse("login"))
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_settings_pass_djangos_deploy_check(tmp_path):
    script = ("import django; django.setup()\n"
              "from django.core.management.commands.check import Command\n"
              "Command().run_from_argv(['m', 'check', '--deploy', '--fail-level', 'WARNING'])\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "recoup.settings", "RECOUP_DEBUG": "0", "RECOUP_HTTPS": "1",
           "RECOUP_VAR_DIR": str(tmp_path), "RECOUP_ALLOWED_HOSTS": "recoup.example",
           "RECOUP_BASE_URL": "https://recoup.example"}
    env.pop("RECOUP_SECRET_KEY", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' fixture in this process, never in production
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[3], timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout + done.stderr


def test_one_address_spraying_passwords_across_many_users_is_locked_out(client, owner, settings):
    """Each (user, address) pair stays under its limit, but the address as a whole does not."""
    per_address = settings.RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS
    assert per_address > settings.AXES_FAILURE_LIMIT
    for i in range(per_address - 1):
        assert client.post(reverse("login"), {"username": f"user{i}", "password": "Summer2026!"}).status_code == 200
    locked = client.post(reverse("login"), {"username": "someone", "password": "Summer2026!"})
    assert locked.status_code == 429
    refused = client.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    assert refused.status_code == 429 and "_auth_user_id" not in client.session, "the whole address waits"
    elsewhere = client.post(reverse("login"), {"username": "olga", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302, "another address is not locked out"


def test_an_office_behind_one_address_is_not_locked_out_by_a_few_mistakes(client, owner, settings):
    for i in range(settings.AXES_FAILURE_LIMIT + 2):
        client.post(reverse("login"), {"username": f"colleague{i % 3}", "password": "typo"})
    assert client.post(reverse("login"), {"username": "olga", "password": PASSWORD}).status_code == 302
