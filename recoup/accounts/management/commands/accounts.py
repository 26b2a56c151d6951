"""recoup accounts reset-2fa USERNAME | unlock USERNAME: help a user who lost a phone or got locked out."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from recoup.audit.actions import Actor, record
from recoup.orgs.models import Membership


class Command(BaseCommand):
    help = "reset-2fa: remove a user's authenticator app; unlock: clear failed-login lockouts."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("reset-2fa", "unlock"))
        parser.add_argument("username")

    def handle(self, *args, action, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if action == "unlock":
            from axes.utils import reset
            self.stdout.write(f"cleared {reset(username=username)} failed-login records of {username}")
            return
        with transaction.atomic():
            removed, _ = TOTPDevice.objects.filter(user=user).delete()
            for membership in Membership.objects.filter(user=user).select_related("org"):
                record(org=membership.org, actor=Actor.system("recoup accounts"), at=timezone.now(),
                       verb="user.two_factor_reset", subject=membership,
                       summary=f"Authenticator app of {username} removed from the command line")
        self.stdout.write(f"removed {removed} authenticator device(s) of {username}; they set one up at next login")
