"""The office's day in the demo's history: what the collector and the owner do on Recoup.

Working days only. The morning: drafts waiting for review approved (the first one edited,
one skipped), replies read and automation resumed, the portal's notices noted. Late morning:
the call queue worked through, each call logged with its outcome: a debtor whose payment is
in fact on its way within three weeks promises that date (a promise kept); one whose money is
further off (or never comes) may promise a week and miss it (a promise broken); others are out
or on voicemail. Then the escalation reviews the policy opened are decided.

The last working days are left as a real office leaves them on a given morning: the latest
drafts, calls and replies, recent escalation reviews still waiting, and the last day's letters
in the print batch (``history`` puts them there; earlier letters are recorded as posted).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from recoup.arrangements.actions import ArrangementError
from recoup.arrangements.promise_actions import promise_make
from recoup.collections.review import drafts_waiting, draft_edit, draft_skip, drafts_approve
from recoup.demo.context import Demo
from recoup.demo.ledger_moves import move_amount
from recoup.demo.profiles import Behaviour
from recoup.escalation.actions import review_decide
from recoup.ledger.models import Invoice
from recoup.messaging.actions import call_log_outcome, reply_done, task_close
from recoup.messaging.models import CallOutcome, Message, Task, TaskKind, TaskStatus
from recoup.messaging.selectors import open_calls, open_replies

log = logging.getLogger(__name__)

# The last working days before today whose work the office has not done yet.
LEAVE_DRAFTS = 1  # drafts wait for review
LEAVE_CALLS = 1  # calls are still to make
LEAVE_LETTERS = 1  # letters wait in the print batch
LEAVE_REPLIES = 2  # replies are unread
# The portal's notices read each morning: disputes raised, promises made or broken (inbox), other reviews.
NOTICE_KINDS = (TaskKind.REVIEW, TaskKind.DISPUTE, TaskKind.PROMISE)
LEAVE_REVIEWS = 7  # escalation reviews are undecided
PROMISE_HORIZON = 21  # a debtor paying within this many days promises that day on the phone


def leave_for_today(demo: Demo, working_days: int) -> bool:
    """Whether ``demo.day`` is within the last ``working_days`` working days before today (or after them)."""
    left = sum(1 for n in range((demo.today - demo.day).days) if (demo.day + timedelta(days=n)).weekday() < 5)
    return left <= working_days


def morning(demo: Demo) -> None:
    if not demo.working_day():
        return
    if not leave_for_today(demo, LEAVE_DRAFTS):
        _review_drafts(demo)
    if not leave_for_today(demo, LEAVE_REPLIES):
        start_of_day = demo.at(0)
        for task in open_replies(org=demo.org).filter(created_at__lt=start_of_day):
            reply_done(org=demo.org, task=task, resume=True, actor=demo.collector, now=demo.at(9, 30),
                       note="Read; payment announced, collection resumed")
        # The portal's notices (a dispute raised, a promise broken): read and noted.
        for task in Task.objects.for_org(demo.org).filter(kind__in=NOTICE_KINDS, status=TaskStatus.OPEN,
                                                          created_at__lt=start_of_day):
            task_close(org=demo.org, task=task, actor=demo.collector, now=demo.at(9, 40), note="Noted")


def _review_drafts(demo: Demo) -> None:
    drafts = list(drafts_waiting(org=demo.org).order_by("created_at", "id"))
    if not drafts:
        return
    at = demo.at(9, 15)
    if "edited" not in demo.done:
        first = drafts[0]
        draft_edit(org=demo.org, message=first, subject=first.subject, actor=demo.collector, now=at,
                   body_text=first.body_text.rstrip() + "\n\nIf you have already sent the payment, thank you, "
                                                        "and please ignore this reminder.\n")
        demo.done.add("edited")
    elif "skipped" not in demo.done and len(drafts) > 1:
        draft_skip(org=demo.org, message=drafts.pop(0), actor=demo.collector, now=at)
        demo.done.add("skipped")
    drafts_approve(org=demo.org, messages=[d.pk for d in drafts], actor=demo.collector, now=at)


def midday(demo: Demo) -> None:
    if not demo.working_day():
        return
    if not leave_for_today(demo, LEAVE_CALLS):
        for call in open_calls(org=demo.org):
            _log_call(demo, call)
    if not leave_for_today(demo, LEAVE_REVIEWS):
        _decide_reviews(demo)


def _log_call(demo: Demo, call: Message) -> None:
    customer, day, at = call.customer, demo.day, demo.at(11)
    overdue = list(Invoice.objects.for_org(demo.org).filter(customer=customer, open_minor__gt=0, due_date__lt=day)
                   .order_by("due_date", "number"))
    rng = demo.rng("call", customer.ref, day)
    coming = sorted(((m.on, m, inv) for inv in overdue if (m := demo.next_payment(inv.number, day))),
                    key=lambda row: (row[0], row[2].number))
    outcome, note = rng.choice([(CallOutcome.NO_ANSWER, ""), (CallOutcome.VOICEMAIL, "Left a message"),
                                (CallOutcome.REACHED, "Invoice is with the director for sign-off")])
    promise = None
    profile = demo.profiles.get(customer.ref)
    if overdue and not demo.busy(customer):
        if coming and (coming[0][0] - day).days <= PROMISE_HORIZON:
            pay_by, move, invoice = coming[0]
            amount = None if move.share is None else move_amount(move, invoice)
            promise = ([invoice], pay_by, amount)
            outcome, note = (CallOutcome.PROMISE_TO_PAY, f"Promised to pay {invoice.number} by {pay_by:%d %B}")
        elif rng.random() < (0.6 if profile and profile.behaviour == Behaviour.CHRONIC else 0.3):
            # A week, they say; the money is in fact weeks away or never comes: a promise broken.
            pay_by = day + timedelta(days=7)
            promise = (overdue[:1], pay_by, None)
            outcome, note = CallOutcome.PROMISE_TO_PAY, f"Says {overdue[0].number} will be paid by {pay_by:%d %B}"
    call_log_outcome(org=demo.org, message=call, outcome=outcome, note=note, actor=demo.collector, now=at)
    if promise is not None:
        invoices, pay_by, amount = promise
        try:
            promise_make(org=demo.org, customer=customer, invoices=invoices, pay_by=pay_by, amount_minor=amount,
                         actor=demo.collector, now=at)
        except ArrangementError as exc:  # already promised, say: the call stays logged
            log.info("demo: no promise for %s: %s", customer.ref, exc)


def _decide_reviews(demo: Demo) -> None:
    scene = demo.story.escalation
    waiting = Task.objects.for_org(demo.org).filter(kind=TaskKind.ESCALATION_REVIEW, status=TaskStatus.OPEN,
                                                    created_at__lt=demo.at(0) - timedelta(days=1))
    for task in waiting.select_related("customer"):
        if scene and task.customer.ref == scene.customer_ref and demo.day <= scene.placed_on:
            continue  # the story decides this one
        review_decide(org=demo.org, customer=task.customer, choice="continue", task=task, actor=demo.owner,
                      now=demo.at(11, 30), note="Paying slowly but paying; keep to the policy")
