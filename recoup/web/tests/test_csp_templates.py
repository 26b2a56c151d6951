"""Every page template keeps to the Content-Security-Policy (recoup.accounts.middleware, recoup.portal.access):
no inline event handler, no inline script, no javascript: address, nothing from another site. The browser tests
see what a page does; this catches a handler on a form nobody submits in them."""

from __future__ import annotations

import re
from pathlib import Path

import recoup

ROOT = Path(recoup.__file__).parent
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)
REMOTE_ASSET = re.compile(r"""<(?:script|link|img)[^>]*(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def _page_templates() -> list[Path]:
    # Messages (e-mail bodies) and PDFs are not pages a browser runs.
    skip = ("messaging/templates", "pdf", "/pack/", "/letters/", "statement.html", "digest.html",
            "subject_access.html", "settlement_letter.html")
    return [p for p in ROOT.rglob("templates/**/*.html") if not any(s in str(p) for s in skip)]


def test_page_templates_hold_nothing_the_content_security_policy_refuses():
    templates = _page_templates()
    assert len(templates) > 50
    found = [f"{p.relative_to(ROOT)}: {rule}" for p in templates for rule, pattern in
             (("inline event handler", HANDLER), ("inline script", INLINE_SCRIPT), ("javascript: address", JS_URL),
              ("asset from another site", REMOTE_ASSET)) if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == []
