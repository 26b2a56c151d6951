"""Writes of the template editor: save an organization's wording of a template, restore an older
version, go back to the shipped text. Each adds a ``TemplateVersion`` (history is never rewritten)
and an audit event; the cycle renders the version in force from then on (``rendering``)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.messaging.models import TemplateVersion
from recoup.messaging.template_sandbox import TemplateRejected, compile_override
from recoup.messaging.template_store import (
    PARTS, TemplateKey, Wording, current_version, is_shipped, shipped_wording,
)
from recoup.orgs.models import Organization

PART_LABELS = {"subject": "subject", "body_text": "plain text", "body_html": "HTML"}


class TemplateEditError(ValueError):
    """A wording that cannot be saved. ``errors``: part (``subject``, ``body_text``, ``body_html``) -> why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{PART_LABELS.get(k, k)}: {v}" for k, v in errors.items()))
        self.errors = errors


def wording_errors(key: TemplateKey, wording: Wording) -> dict[str, str]:
    """Why each part of ``wording`` cannot be used for ``key`` (empty: it can)."""
    errors = {}
    for part in PARTS[key.channel]:
        source = wording.source(part)
        if not source.strip():
            errors[part] = "this part may not be empty"
            continue
        try:
            compile_override(source, key.file(part))
        except TemplateRejected as exc:
            errors[part] = str(exc)
    return errors


def template_save(*, org: Organization, key: TemplateKey, wording: Wording, actor: Actor, now: datetime,
                  restored_from: int | None = None) -> TemplateVersion:
    """Save ``wording`` as the organization's new version of ``key``, in force from now on.
    Raises TemplateEditError (nothing saved) when a part is empty, malformed or not allowed;
    LookupError when Recoup ships no such template."""
    if not is_shipped(key):
        raise LookupError(f"no template {key.template}/{key.channel}/{key.language}")
    errors = wording_errors(key, wording)
    if errors:
        raise TemplateEditError(errors)
    parts = {part: wording.source(part) if part in PARTS[key.channel] else "" for part in ("subject", "body_text",
                                                                                             "body_html")}
    if restored_from is None:
        verb, summary = "template.saved", "saved"
    else:
        verb, summary = "template.restored", f"restored to the text of version {restored_from}"
    return _add(org=org, key=key, actor=actor, now=now, verb=verb, summary=summary, shipped=False,
                restored_from=restored_from, **parts)


def template_restore(*, org: Organization, key: TemplateKey, version: int, actor: Actor,
                     now: datetime) -> TemplateVersion:
    """Put an older version's text back in force, as a new version (a reset version restores the shipped text)."""
    old = TemplateVersion.objects.for_org(org).get(template=key.template, channel=key.channel,
                                                   language=key.language, version=version)
    if old.shipped:
        return template_reset(org=org, key=key, actor=actor, now=now)
    return template_save(org=org, key=key, actor=actor, now=now, restored_from=version,
                         wording=Wording(subject=old.subject, body_text=old.body_text, body_html=old.body_html))


def template_reset(*, org: Organization, key: TemplateKey, actor: Actor, now: datetime) -> TemplateVersion:
    """Go back to the text Recoup ships for ``key`` (recorded as a new version)."""
    if not is_shipped(key):
        raise LookupError(f"no template {key.template}/{key.channel}/{key.language}")
    return _add(org=org, key=key, actor=actor, now=now, verb="template.reset",
                summary="reset to the shipped text", shipped=True, restored_from=None)


def _add(*, org, key: TemplateKey, actor: Actor, now: datetime, verb: str, summary: str, **fields) -> TemplateVersion:
    name = f"{key.template}/{key.channel}/{key.language}"
    for _ in range(3):  # two editors saving at once: the second takes the next number
        try:
            with transaction.atomic():
                latest = current_version(org, key)
                row = TemplateVersion.objects.create(
                    org=org, template=key.template, channel=key.channel, language=key.language,
                    version=(latest.version if latest else 0) + 1, created_at=now, created_by=actor.label, **fields)
                audit.record(org=org, actor=actor, at=now, verb=verb, subject=row,
                             summary=f"Template {name} {summary} (version {row.version})",
                             data={"template": key.template, "channel": key.channel, "language": key.language,
                                   "version": row.version, "restored_from": row.restored_from,
                                   "changed": _changed(key, latest, row)})
                return row
        except IntegrityError:
            continue
    raise RuntimeError(f"could not number a new version of {name}")


def _changed(key: TemplateKey, before: TemplateVersion | None, after: TemplateVersion) -> list[str]:
    """The parts whose text differs from what was in force before."""
    def text(row: TemplateVersion | None) -> Wording:
        if row is None or row.shipped:
            return shipped_wording(key)
        return Wording(subject=row.subject, body_text=row.body_text, body_html=row.body_html)

    old, new = text(before), text(after)
    return [part for part in PARTS[key.channel] if old.source(part) != new.source(part)]
