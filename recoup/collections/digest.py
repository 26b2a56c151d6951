"""The operator's daily digest: what the cycle did and what waits for a person.

Sent straight through Django's mail framework to the organization's owners and
collectors (it is not a message to a debtor, so it has no place in the outbox),
once the day's cycle has run. Counting only; the worklist page has the detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count
from django.template.loader import render_to_string

from recoup.audit.checkpoints import Taken
from recoup.audit.models import AuditEvent
from recoup.collections.models import CycleRun
from recoup.collections.review import drafts_count
from recoup.core.text import one_line
from recoup.messaging.models import Message, MessageStatus, TaskKind
from recoup.messaging.selectors import open_calls, open_letter_batches, open_tasks
from recoup.orgs.models import Membership, Organization, Role


@dataclass(frozen=True)
class Digest:
    org: Organization
    on: date
    cycle: dict[str, int] = field(default_factory=dict)  # queued, blocked, deferred, ... of the day's runs
    drafts: int = 0  # review mode: messages waiting for approval
    calls: int = 0
    letters: int = 0
    replies: int = 0
    disputes_promises: int = 0  # raised or made in the portal, or broken: in the inbox with the replies
    reviews: int = 0
    contact_problems: int = 0
    other_tasks: int = 0
    held: str = ""  # why the day's cycle deferred every step (e.g. "books not synced since ..."), if it did
    # Where the messages the day's cycle queued stand when the digest is made: sent (e-mails and SMS
    # sent, letters posted), unsent (still in the outbox), letters (in a print batch), calls (handed to
    # a person), failed, cancelled. Drafts waiting in review mode are counted in ``drafts``.
    outbox: dict[str, int] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return self.cycle.get("queued", 0)

    @property
    def sent(self) -> int:
        return self.outbox.get("sent", 0)

    @property
    def waiting(self) -> int:
        return (self.drafts + self.calls + self.letters + self.replies + self.disputes_promises + self.reviews
                + self.contact_problems + self.other_tasks)


OUTBOX_STATES = {
    MessageStatus.SENT: "sent", MessageStatus.POSTED: "sent", MessageStatus.QUEUED: "unsent",
    MessageStatus.SENDING: "unsent", MessageStatus.BATCHED: "letters", MessageStatus.OPEN: "calls",
    MessageStatus.DONE: "calls", MessageStatus.FAILED: "failed", MessageStatus.CANCELLED: "cancelled",
}


def _outbox(org: Organization, runs: list[CycleRun]) -> dict[str, int]:
    """Where the messages of these cycle runs stand now, by ``OUTBOX_STATES`` (drafts left out)."""
    statuses = (Message.objects.for_org(org).filter(step_decisions__cycle_run__in=runs).values_list("status")
                .annotate(n=Count("id", distinct=True)).order_by())
    out: dict[str, int] = {}
    for status, n in statuses:
        state = OUTBOX_STATES.get(status)
        if state:
            out[state] = out.get(state, 0) + n
    return out


def digest_for(*, org: Organization, on: date) -> Digest:
    """Counts for ``on`` (the organization's local date)."""
    cycle: dict[str, int] = {}
    runs = list(CycleRun.objects.for_org(org).filter(date=on, dry_run=False))
    for run in runs:
        for key, value in run.counts.items():
            cycle[key] = cycle.get(key, 0) + int(value)
    held = [e.data["held"] for e in AuditEvent.objects.for_org(org).filter(
        verb="cycle.ran", subject_id__in=[r.pk for r in runs]).order_by("-seq") if e.data.get("held")][:1]
    tasks = dict(open_tasks(org=org).values_list("kind").annotate(n=Count("id")).order_by())
    return Digest(
        org=org, on=on, cycle=cycle,
        drafts=drafts_count(org=org),
        calls=open_calls(org=org).count(),
        letters=Message.objects.for_org(org).filter(
            status=MessageStatus.BATCHED, batch__in=open_letter_batches(org=org)).count(),
        replies=tasks.pop(TaskKind.REPLY, 0),
        disputes_promises=tasks.pop(TaskKind.DISPUTE, 0) + tasks.pop(TaskKind.PROMISE, 0),
        reviews=tasks.pop(TaskKind.ESCALATION_REVIEW, 0) + tasks.pop(TaskKind.REVIEW, 0),
        contact_problems=tasks.pop(TaskKind.CONTACT_UNUSABLE, 0) + tasks.pop(TaskKind.DELIVERY_FAILED, 0)
        + tasks.pop(TaskKind.CONTACT_NEEDED, 0),
        other_tasks=sum(tasks.values()),
        held=held[0] if held else "",
        outbox=_outbox(org, runs) if runs else {},
    )


def digest_recipients(org: Organization) -> list[str]:
    """E-mail addresses of the organization's owners and collectors."""
    members = Membership.objects.filter(org=org, role__in=[Role.OWNER, Role.COLLECTOR]).select_related("user")
    return sorted({m.user.email for m in members if m.user.email})


def digest_send(*, org: Organization, on: date, worklist_url: str = "", audit: Taken | None = None) -> int:
    """Send the digest to each owner and collector; returns how many were sent (0 without recipients).

    ``audit``: the day's audit checkpoint (or why none was signed): the e-mail carries it, a copy
    of the chain's head the database cannot reach (``recoup audit verify --checkpoints MAIL``).
    """
    recipients = digest_recipients(org)
    if not recipients:
        return 0
    digest = digest_for(org=org, on=on)
    context = {"d": digest, "worklist_url": worklist_url, "audit": audit}
    mail = EmailMultiAlternatives(
        subject=one_line(f"Recoup {org.legal_name}, {on:%d %b %Y}: {digest.queued} queued, {digest.sent} sent so far, "
                         f"{digest.waiting} waiting for you"),
        body=render_to_string("collections/digest.txt", context), from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    mail.attach_alternative(render_to_string("collections/digest.html", context), "text/html")
    mail.send(fail_silently=False)
    return len(recipients)
