"""Recoup's URLs plus two that raise, for the error-page tests: one operator page, one under the portal's /p/."""

from django.urls import path

from recoup import urls as recoup_urls


def _boom(request, **kwargs):
    raise RuntimeError("a bug the error page must not show")


urlpatterns = [
    path("o/<slug:slug>/boom/", _boom),
    path("p/boom-link-for-tests/boom/", _boom),
    *recoup_urls.urlpatterns,
]
handler403 = recoup_urls.handler403
handler404 = recoup_urls.handler404
handler500 = recoup_urls.handler500
