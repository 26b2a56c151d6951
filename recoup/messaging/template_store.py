"""Reads for the template editor: which templates Recoup ships, their text, and an organization's own
wording of them (``TemplateVersion``: the highest version is in force unless it is a reset).

A template is named by (template, channel, language), as ``rendering`` finds it under
``messaging/<template>/<channel>/<language>/``; its parts are ``PARTS[channel]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from recoup.messaging.models import TemplateVersion

# channel -> the files a message on it is made of (see ``rendering``), as Wording fields.
PARTS = {"email": ("subject", "body_text", "body_html"), "letter": ("body_text", "body_html"),
         "sms": ("body_text",), "call": ("body_text",)}
FILES = {"subject": "subject.txt", "body_text": "body.txt", "body_html": "body.html"}
_SHIPPED = Path(__file__).parent / "templates" / "messaging"
# Inside ``wordings_read_once``: organization id -> {TemplateKey: Wording in force}.
_read_once: ContextVar[dict | None] = ContextVar("template_wordings_read_once", default=None)


@dataclass(frozen=True)
class Wording:
    """The text of a template's parts ("" for a part its channel does not have)."""

    subject: str = ""
    body_text: str = ""
    body_html: str = ""

    def source(self, part: str) -> str:
        return getattr(self, part)


@dataclass(frozen=True)
class TemplateKey:
    template: str
    channel: str
    language: str

    def file(self, part: str) -> str:
        return f"messaging/{self.template}/{self.channel}/{self.language}/{FILES[part]}"


def shipped_catalog() -> dict[str, dict[str, list[str]]]:
    """Template name -> channel -> languages, for every template Recoup ships."""
    catalog: dict[str, dict[str, list[str]]] = {}
    for folder in sorted(_SHIPPED.iterdir()):
        if folder.name.startswith("_") or not folder.is_dir():
            continue
        channels = {channel.name: sorted(lang.name for lang in channel.iterdir() if (lang / "body.txt").exists())
                    for channel in sorted(folder.iterdir()) if channel.name in PARTS}
        if any(channels.values()):
            catalog[folder.name] = {channel: langs for channel, langs in channels.items() if langs}
    return catalog


def is_shipped(key: TemplateKey) -> bool:
    return key.language in shipped_catalog().get(key.template, {}).get(key.channel, [])


def shipped_wording(key: TemplateKey) -> Wording:
    """The text Recoup ships for ``key`` (as the template loader finds it)."""
    texts = {}
    for part in PARTS[key.channel]:
        try:
            texts[part] = get_template(key.file(part)).template.source
        except TemplateDoesNotExist:
            texts[part] = ""
    return Wording(**texts)


def template_history(org, key: TemplateKey) -> list[TemplateVersion]:
    """The organization's versions of ``key``, newest first."""
    return list(TemplateVersion.objects.for_org(org).filter(
        template=key.template, channel=key.channel, language=key.language).order_by("-version"))


def current_version(org, key: TemplateKey) -> TemplateVersion | None:
    return TemplateVersion.objects.for_org(org).filter(
        template=key.template, channel=key.channel, language=key.language).order_by("-version").first()


def current_override(org, key: TemplateKey) -> Wording | None:
    """The organization's wording in force for ``key``, or None where the shipped text is used."""
    cache = _read_once.get()
    if cache is not None:
        if org.pk not in cache:
            cache[org.pk] = _all_in_force(org)
        return cache[org.pk].get(key)
    version = current_version(org, key)
    return None if version is None or version.shipped else _wording(version)


@contextmanager
def wordings_read_once() -> Iterator[None]:
    """Within the block, each organization's wordings in force are read once, in one query (the
    cycle renders a message per customer); an edit saved meanwhile counts from the next block."""
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


def _all_in_force(org) -> dict[TemplateKey, Wording]:
    latest: dict[TemplateKey, TemplateVersion] = {}
    for version in TemplateVersion.objects.for_org(org).order_by("version"):
        latest[TemplateKey(version.template, version.channel, version.language)] = version
    return {key: _wording(version) for key, version in latest.items() if not version.shipped}


def _wording(version: TemplateVersion) -> Wording:
    return Wording(subject=version.subject, body_text=version.body_text, body_html=version.body_html)


def wording_in_force(org, key: TemplateKey) -> Wording:
    return current_override(org, key) or shipped_wording(key)


def overridden_keys(org) -> set[tuple[str, str, str]]:
    """(template, channel, language) of every template whose organization's wording is in force."""
    latest: dict[tuple[str, str, str], bool] = {}
    rows = TemplateVersion.objects.for_org(org).order_by("version").values_list(
        "template", "channel", "language", "shipped")
    for template, channel, language, shipped in rows:
        latest[(template, channel, language)] = not shipped
    return {key for key, overridden in latest.items() if overridden}
