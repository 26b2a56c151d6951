"""The error pages' server side: an ordinary refusal is one line in the log, and the 500 page asks nothing of the
database (the browser tests in tests/browser/test_error_pages.py look at the pages themselves)."""

from __future__ import annotations

import logging

from django.test import RequestFactory

from recoup.web.views.errors import server_error


def _request_log(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_an_ordinary_refusal_is_one_warning_line_without_a_traceback(as_user, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = as_user("viewer").get("/o/acme/settings/")
    assert response.status_code == 403
    [record] = _request_log(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == "Forbidden (Permission denied): /o/acme/settings/: Your role (Viewer) may not do this."
    assert "Traceback" not in caplog.text


def test_a_missing_page_is_one_warning_line(as_user, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = as_user("owner").get("/o/acme/customers/999999/")
    assert response.status_code == 404
    [record] = _request_log(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "Traceback" not in caplog.text


def test_the_500_page_needs_neither_the_database_nor_a_user():
    # No `db` fixture: pytest-django refuses any query, so rendering must not make one.
    for path, look in (("/o/acme/customers/", "web/recoup.css"), ("/p/some-link-secret-0123456789/", "portal/portal.css")):
        response = server_error(RequestFactory().get(path))
        page = response.content.decode()
        assert response.status_code == 500 and "Something went wrong" in page and look in page


def test_a_form_without_its_csrf_token_gets_recoups_page_saying_nothing_was_saved(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "The form has expired" in page and "Nothing was saved" in page and "web/recoup.css" in page
