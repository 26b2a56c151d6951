"""Login throttling: django-axes in front of Django's model backend."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class ThrottledBackend(AxesStandaloneBackend):
    """Refuse a locked-out username/address before any password is checked.

    Logins without a request (the shell, the test client's ``login()``) are not web
    logins and are not throttled; every web login passes its request.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
