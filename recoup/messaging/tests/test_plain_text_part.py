"""The plain-text part of every shipped e-mail template, in every language, as a phone shows it: no line
longer than 78 characters but a URL's, no HTML or markdown left over, never two blank lines in a row;
and every subject on one line with nothing around it. Rendered for a real customer with invoices, a
charge, a discount, bank details and the portal links (test_rendering's fixtures)."""

from __future__ import annotations

import re

import pytest

from recoup.messaging.rendering import available_languages, email_text
from recoup.messaging.tests.test_rendering import (  # noqa: F401  (fixtures)
    _render,
    _template_channels,
    customer,
    invoices,
    org,
)

WIDTH = 78
URL = re.compile(r"https?://\S+")
LEFTOVERS = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&[a-z]+;|&#\d+;|\*\*|__|^#+ |\[[^\]]*\]\(|`|\{\{|\{%")
EMAIL_TEMPLATES = sorted({template for template, channel in _template_channels() if channel == "email"})


@pytest.mark.parametrize("language", available_languages())
@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_the_plain_text_part_reads_well_on_a_phone(org, customer, invoices, template, language):
    message = _render(org, customer, invoices, template, "email", language)
    text = email_text(message.text)  # what the e-mail channel sends as the plain-text part
    where = f"{template}/email/{language}"
    long_lines = [line for line in text.splitlines()
                  if len(line) > WIDTH and not URL.fullmatch(line.strip())]
    assert long_lines == [], f"{where}: lines over {WIDTH} characters:\n" + "\n".join(long_lines)
    for number, line in enumerate(text.splitlines(), 1):
        assert not LEFTOVERS.search(line), f"{where} line {number}: markup left over: {line!r}"
        assert line == line.rstrip(), f"{where} line {number}: trailing spaces"
    assert "\n\n\n" not in text, f"{where}: more than one blank line in a row"
    assert text == text.strip()
    # Nothing is lost: the same words in the same order as the text the template rendered.
    assert text.split() == message.text.split()


@pytest.mark.parametrize("language", available_languages())
@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_every_subject_is_one_line_with_nothing_around_it(org, customer, invoices, template, language):
    subject = _render(org, customer, invoices, template, "email", language).subject
    assert subject and subject == subject.strip() and "  " not in subject and "\n" not in subject
