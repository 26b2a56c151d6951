"""django-axes' database handler with a second limit: failures from one address, whatever the username.

Axes locks a (username, address) pair after ``AXES_FAILURE_LIMIT`` failures; alone, that lets
one address try a common password against every username. Axes compares every lockout
parameter with the same limit, and one office behind one address must not be locked out by
five typos, so the address has its own, larger limit: ``RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS``
failures (summed over every username) within ``AXES_COOLOFF_TIME`` lock that address out for
every username until they age out. The counts are axes' own ``AccessAttempt`` rows.
"""

from __future__ import annotations

import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum

log = logging.getLogger(__name__)


class AddressCappedHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or \
            self.address_failures(request) >= settings.RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        """Record the failure (axes); the one that reaches the address's limit is answered as a lockout too."""
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False) or self.is_whitelisted(request, credentials):
            return
        if self.address_failures(request) >= settings.RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS:
            log.warning("AXES: locking out address %s after failures across usernames", request.axes_ip_address)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=get_client_username(request, credentials),
                                 ip_address=request.axes_ip_address)

    def address_failures(self, request) -> int:
        """Failed logins from the request's address within the cool-off time, over every username."""
        address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
        attempts = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
