"""Review mode and sending off (issue 11): drafts wait for the operator, approval sends once, edits are what
arrives, unapproved drafts expire and are decided afresh, and "off" sends nothing until it is switched back on.

Delivery goes to the aiosmtpd peer at 10:00 on weekdays in London (inside any send window of
the day); the organization's own window is set explicitly so a change of default does not matter.
"""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from recoup.audit.models import AuditEvent
from recoup.collections.actions import policy_load
from recoup.collections.cycle import cycle_run
from recoup.collections.models import StepDecision
from recoup.collections.review import (
    DraftChanged, DraftGone, ReviewError, draft_approve, draft_edit, draft_skip, draft_version, drafts_approve,
    drafts_count, drafts_expire,
)
from recoup.collections.tests.conftest import FIVE_STEPS
from recoup.ledger.models import Charge, PaymentTerms
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message, MessageStatus

DUE = date(2026, 3, 2)  # a Monday: the first reminder (+3) is due on Thursday 5 March, the second (+10) on the 12th


def ten(day: date) -> datetime:
    """10:00 in London (GMT in March): inside the debtor's contact window on a weekday."""
    return datetime.combine(day, time(10), tzinfo=timezone.utc)


def run(org, day: date, **kw):
    return cycle_run(org=org, on=day, now=ten(day), **kw)


@pytest.fixture
def org(org_a, five_step):
    org_a.send_mode = "review"
    org_a.send_window_start, org_a.send_window_end, org_a.send_window_weekdays = time(9), time(17), "12345"
    org_a.save()
    return org_a


@pytest.fixture
def customer(org, debtor, make_invoice):
    customer = debtor(org, "C001", email="ap@debtor.example")
    make_invoice(org, customer, "INV-1", "100.00", issue=date(2026, 2, 1), due=DUE)
    return customer


def steps_decided(customer) -> list[tuple[str, str, str]]:
    return list(StepDecision.objects.filter(customer=customer).order_by("id")
                .values_list("step_key", "status", "outcome"))


def test_in_review_mode_the_cycle_decides_and_leaves_a_draft_that_nothing_delivers(org, customer, smtp, system):
    result = run(org, date(2026, 3, 5))

    assert [(a.step, a.status) for a in result.actions] == [("first-reminder", "draft")]
    assert result.counts["draft"] == 1 and result.counts["queued"] == 0
    draft = Message.objects.get(customer=customer)
    assert (draft.status, draft.step_key, draft.to_address) == ("draft", "first-reminder", "ap@debtor.example")
    assert "INV-1" in draft.body_text
    assert ("first-reminder", "due", "draft") in steps_decided(customer)
    assert StepDecision.objects.get(step_key="first-reminder").message == draft
    assert drafts_count(org=org) == 1
    assert AuditEvent.objects.filter(verb="message.drafted").count() == 1

    assert deliver_due(now=ten(date(2026, 3, 5))).handled == 0
    assert smtp.received == []
    # Decided: the next run does not draft the same step again.
    assert run(org, date(2026, 3, 6)).actions == []
    assert Message.objects.filter(customer=customer).count() == 1


def test_the_command_counts_the_drafts(org, customer):
    out = io.StringIO()
    call_command("cycle", "--date", "2026-03-05", "--org", org.slug, stdout=out)
    assert "first-reminder" in out.getvalue()
    assert "0 queued, 1 draft waiting for review, 0 deferred, 0 blocked" in out.getvalue()


def test_a_step_can_ask_for_review_in_an_automatic_organization_and_for_automatic_in_a_review_one(
        org, debtor, make_invoice, system, now):
    modes = FIVE_STEPS.replace("name: five-step", "name: with-modes").replace(
        "offset_days: 3, channels: [email]}", "offset_days: 3, channels: [email], mode: review}").replace(
        "offset_days: 10, channels: [email]}", "offset_days: 10, channels: [email], mode: automatic}")
    policy_load(org=org, data=modes, actor=system, now=now, make_default_for="")
    org.send_mode, org.draft_expiry_days = "automatic", 14
    org.save()
    customer = debtor(org, "C001")
    make_invoice(org, customer, "INV-1", "100.00", issue=date(2026, 2, 1), due=DUE)

    assert [a.status for a in run(org, date(2026, 3, 5)).actions] == ["draft"]
    org.send_mode = "review"
    org.save()
    assert [(a.step, a.status) for a in run(org, date(2026, 3, 12)).actions] == [("second-reminder", "queued")]
    assert sorted(Message.objects.filter(customer=customer).values_list("step_key", "status")) == [
        ("first-reminder", "cancelled"), ("second-reminder", "queued")]  # the queued message replaced the draft


def test_approving_twice_queues_once_and_exactly_one_email_arrives(org, customer, smtp, system,
                                                                  django_capture_on_commit_callbacks):
    run(org, date(2026, 3, 5))
    draft = Message.objects.get(customer=customer)
    approved_at = ten(date(2026, 3, 5)) + timedelta(minutes=5)

    with django_capture_on_commit_callbacks() as callbacks:
        approved = draft_approve(org=org, message=draft, actor=system, now=approved_at)
    assert callbacks, "delivery is requested once the approval commits"
    assert (approved.status, approved.reviewed_by, approved.reviewed_at) == ("queued", "test", approved_at)
    with pytest.raises(DraftGone, match="already approved by test"):
        draft_approve(org=org, message=draft, actor=system, now=approved_at)
    assert drafts_approve(org=org, messages=[draft.pk], actor=system, now=approved_at).done == []

    assert deliver_due(now=approved_at).sent == 1
    assert deliver_due(now=approved_at + timedelta(hours=1)).handled == 0
    assert [m["To"] for m in smtp.received] == ["ap@debtor.example"]
    assert AuditEvent.objects.filter(verb="message.approved").count() == 1


def test_an_approved_draft_still_waits_for_the_contact_window(org, customer, smtp, system):
    early = datetime(2026, 3, 5, 7, 0, tzinfo=timezone.utc)  # 07:00 in London: before any window opens
    cycle_run(org=org, on=date(2026, 3, 5), now=early)
    draft = Message.objects.get(customer=customer)
    held = draft.next_attempt_at
    assert held > early

    approved = draft_approve(org=org, message=draft, actor=system, now=early + timedelta(minutes=10))
    assert approved.next_attempt_at == held
    assert deliver_due(now=early + timedelta(minutes=20)).handled == 0 and smtp.received == []
    assert deliver_due(now=held).sent == 1


def test_the_edited_text_is_exactly_what_arrives(org, customer, smtp, system):
    run(org, date(2026, 3, 5))
    draft = Message.objects.get(customer=customer)
    original = draft.body_text
    text = "Dear Pat,\r\n\r\nWe spoke on the phone: <b>INV-1</b> is now 5 days late.\r\nThank you & regards,\r\nAcme"

    edited = draft_edit(org=org, message=draft, subject="  INV-1,   as  agreed ", body_text=text, actor=system,
                        now=ten(date(2026, 3, 5)), seen=draft_version(draft))
    assert edited.subject == "INV-1, as agreed"
    event = AuditEvent.objects.get(verb="message.edited")
    assert event.data["before"]["body_text"] == original and "We spoke on the phone" in event.data["after"]["body_text"]
    draft_approve(org=org, message=edited, actor=system, now=ten(date(2026, 3, 5)))
    deliver_due(now=ten(date(2026, 3, 5)))

    [mail] = smtp.received
    assert mail["Subject"] == "INV-1, as agreed"
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    assert plain.strip().splitlines() == ["Dear Pat,", "", "We spoke on the phone: <b>INV-1</b> is now 5 days late.",
                                          "Thank you & regards,", "Acme"]
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "We spoke on the phone: &lt;b&gt;INV-1&lt;/b&gt; is now 5 days late." in html
    assert original.splitlines()[0] not in html + plain  # nothing of the old text is left


def test_an_edit_made_meanwhile_is_not_overwritten_nor_approved_unseen(org, customer, system):
    run(org, date(2026, 3, 5))
    draft = Message.objects.get(customer=customer)
    seen = draft_version(draft)
    draft_edit(org=org, message=draft, subject="New", body_text="Edited in the first tab.", actor=system,
               now=ten(date(2026, 3, 5)), seen=seen)
    with pytest.raises(DraftChanged):
        draft_edit(org=org, message=draft, subject="Old", body_text="Stale.", actor=system,
                   now=ten(date(2026, 3, 5)), seen=seen)
    with pytest.raises(DraftChanged):
        draft_approve(org=org, message=draft, actor=system, now=ten(date(2026, 3, 5)), seen=seen)
    draft.refresh_from_db()
    assert (draft.status, draft.body_text) == ("draft", "Edited in the first tab.")
    with pytest.raises(ReviewError, match="body_text"):
        draft_edit(org=org, message=draft, subject="New", body_text="  ", actor=system, now=ten(date(2026, 3, 5)))
    with pytest.raises(ReviewError, match=r"subject: contains a control character \(U\+0000\)"):
        draft_edit(org=org, message=draft, subject="New\x00", body_text="Hi", actor=system, now=ten(date(2026, 3, 5)))


def test_an_unapproved_draft_expires_and_the_next_cycle_decides_afresh_without_ever_sending_it(
        org, customer, smtp, system):
    run(org, date(2026, 3, 5))
    old = Message.objects.get(customer=customer)
    assert run(org, date(2026, 3, 6)).actions == []  # one day on: still waiting

    # The dry run on the day it is due to expire changes nothing.
    run(org, date(2026, 3, 9), dry_run=True)
    old.refresh_from_db()
    assert old.status == "draft"

    # Monday: three days have passed. The stored schedule said "next look on the 12th"; the expiry
    # makes this ordinary (not --full) run look at the customer and decide the step again.
    result = run(org, date(2026, 3, 9))
    old.refresh_from_db()
    assert old.status == MessageStatus.EXPIRED
    assert result.counts["drafts_expired"] == 1
    assert [(a.step, a.status) for a in result.actions] == [("first-reminder", "draft")]
    new = Message.objects.get(customer=customer, status="draft")
    assert new.pk != old.pk and new.source_ref == "2026-03-09:first-reminder#0"
    assert StepDecision.objects.get(customer=customer, step_key="first-reminder").message == new
    with pytest.raises(DraftGone, match="expired"):
        draft_approve(org=org, message=old, actor=system, now=ten(date(2026, 3, 9)))

    draft_approve(org=org, message=new, actor=system, now=ten(date(2026, 3, 9)))
    deliver_due(now=ten(date(2026, 3, 9)))
    assert len(smtp.received) == 1
    assert Message.objects.get(pk=old.pk).status == MessageStatus.EXPIRED and old.sent_at is None


def test_a_cycle_rerun_by_hand_for_the_same_day_after_expiry_makes_a_new_draft(org, customer, system):
    run(org, date(2026, 3, 5))
    old = Message.objects.get(customer=customer)
    # The operator re-runs the 5th three days later: the draft expires and the step is decided again
    # for the same date, under the same idempotency key the expired draft carried.
    result = cycle_run(org=org, on=date(2026, 3, 5), now=ten(date(2026, 3, 8)))
    assert result.counts["drafts_expired"] == 1
    assert [(a.step, a.status) for a in result.actions] == [("first-reminder", "draft")]
    new = Message.objects.get(customer=customer, status="draft")
    assert new.pk != old.pk
    assert StepDecision.objects.get(customer=customer, step_key="first-reminder").message == new
    old.refresh_from_db()
    assert old.status == MessageStatus.EXPIRED and old.idempotency_key.endswith(new.idempotency_key)


def test_a_draft_past_its_expiry_cannot_be_approved_while_it_waits_for_the_next_cycle(org, customer, system):
    run(org, date(2026, 3, 5))
    draft = Message.objects.get(customer=customer)
    with pytest.raises(DraftGone, match="expired at 8 Mar 2026, 10:00"):
        draft_approve(org=org, message=draft, actor=system, now=ten(date(2026, 3, 8)))
    assert drafts_expire(org=org, now=ten(date(2026, 3, 7))) == 0
    assert drafts_expire(org=org, now=ten(date(2026, 3, 8))) == 1


def test_deciding_again_after_expiry_does_not_charge_the_late_fee_twice(org, debtor, make_invoice, system, now):
    fee_step = FIVE_STEPS.replace("name: five-step", "name: with-fee").replace(
        "offset_days: 3, channels: [email]}", "offset_days: 3, channels: [email], action: late_fee}")
    policy_load(org=org, data=fee_step, actor=system, now=now, make_default_for="")
    terms = PaymentTerms.objects.create(org=org, name="Net 30, 40.00 late fee", net_days=30,
                                        late_fee_kind="flat", late_fee_flat=Decimal("40.00"))
    customer = debtor(org, "C001", default_terms=terms)
    invoice = make_invoice(org, customer, "INV-1", "100.00", issue=date(2026, 2, 1), due=DUE)

    run(org, date(2026, 3, 5))
    run(org, date(2026, 3, 9))  # the draft expired; the step, with its late fee, is decided again

    assert [m.status for m in Message.objects.filter(customer=customer).order_by("id")] == ["expired", "draft"]
    assert list(Charge.objects.filter(invoice=invoice).values_list("kind", "amount_minor")) == [("late_fee", 4000)]
    invoice.refresh_from_db()
    assert invoice.open_minor == 14000
    assert "£40.00" in Message.objects.get(customer=customer, status="draft").body_text


def test_with_sending_off_nothing_is_sent_or_decided_and_the_step_is_caught_up_once(org, customer, system):
    org.send_mode = "off"
    org.save()
    for day in (date(2026, 3, 5), date(2026, 3, 12)):
        result = run(org, day)
        assert [(a.status, a.reason) for a in result.actions] == [("deferred", "sending is off (organization setting)")]
    assert not Message.objects.exists() and not StepDecision.objects.exists()

    org.send_mode = "automatic"
    org.save()
    result = run(org, date(2026, 3, 13))
    assert [(a.step, a.status) for a in result.actions] == [("second-reminder", "queued")]
    assert steps_decided(customer) == [("pre-due", "superseded", ""), ("first-reminder", "superseded", ""),
                                       ("second-reminder", "due", "queued")]
    assert run(org, date(2026, 3, 13)).actions == [] and Message.objects.count() == 1


def test_a_step_switched_off_says_so_and_the_others_still_go(org, debtor, make_invoice, system, now):
    off = FIVE_STEPS.replace("name: five-step", "name: first-off").replace(
        "offset_days: 3, channels: [email]}", "offset_days: 3, channels: [email], mode: 'off'}")
    policy_load(org=org, data=off, actor=system, now=now, make_default_for="")
    org.send_mode = "automatic"
    org.save()
    customer = debtor(org, "C001")
    make_invoice(org, customer, "INV-1", "100.00", issue=date(2026, 2, 1), due=DUE)

    assert [(a.status, a.reason) for a in run(org, date(2026, 3, 5)).actions] == [
        ("deferred", "sending is off (step setting)")]
    assert [(a.step, a.status) for a in run(org, date(2026, 3, 12)).actions] == [("second-reminder", "queued")]


def test_a_new_draft_replaces_the_older_draft_not_yet_reviewed(org, customer, system):
    org.draft_expiry_days = 14
    org.save()
    run(org, date(2026, 3, 5))
    first = Message.objects.get(customer=customer)

    run(org, date(2026, 3, 12))
    first.refresh_from_db()
    assert first.status == MessageStatus.CANCELLED and "replaced by second-reminder" in first.last_error
    assert list(Message.objects.filter(customer=customer, status="draft").values_list("step_key", flat=True)) == [
        "second-reminder"]
    assert drafts_count(org=org) == 1
    with pytest.raises(DraftGone, match="withdrawn"):
        draft_approve(org=org, message=first, actor=system, now=ten(date(2026, 3, 12)))


def test_a_skipped_draft_is_never_sent_and_its_step_is_not_decided_again(org, customer, smtp, system):
    run(org, date(2026, 3, 5))
    draft = Message.objects.get(customer=customer)
    skipped = draft_skip(org=org, message=draft, actor=system, now=ten(date(2026, 3, 5)))
    assert (skipped.status, skipped.last_error, skipped.reviewed_by) == ("cancelled", "cancelled: skipped by test",
                                                                         "test")
    with pytest.raises(DraftGone, match="already skipped by test"):
        draft_approve(org=org, message=draft, actor=system, now=ten(date(2026, 3, 5)))

    assert run(org, date(2026, 3, 9)).actions == []  # past the expiry: nothing to expire, nothing re-decided
    deliver_due(now=ten(date(2026, 3, 9)))
    assert smtp.received == [] and Message.objects.filter(customer=customer).count() == 1


def test_approving_some_leaves_the_others_waiting_and_reports_what_was_already_done(org, debtor, make_invoice,
                                                                                   system):
    for ref in ("C001", "C002", "C003"):
        make_invoice(org, debtor(org, ref), f"INV-{ref}", "50.00", issue=date(2026, 2, 1), due=DUE)
    run(org, date(2026, 3, 5))
    one, two, three = Message.objects.filter(status="draft").order_by("customer__ref")
    draft_approve(org=org, message=one, actor=system, now=ten(date(2026, 3, 5)))

    result = drafts_approve(org=org, messages=[one.pk, two], actor=system, now=ten(date(2026, 3, 5)))
    assert [m.pk for m in result.done] == [two.pk]
    assert result.refused == ["C001: This draft was already approved by test at 5 Mar 2026, 10:00; it is queued."]
    assert list(Message.objects.filter(status="draft").values_list("pk", flat=True)) == [three.pk]


def test_another_organizations_draft_is_refused(org, customer, org_b, system):
    run(org, date(2026, 3, 5))
    draft = Message.objects.get(customer=customer)
    with pytest.raises(ReviewError, match="does not belong"):
        draft_approve(org=org_b, message=draft, actor=system, now=ten(date(2026, 3, 5)))
    assert drafts_approve(org=org_b, messages=[draft.pk], actor=system, now=ten(date(2026, 3, 5))).refused == [
        f"message {draft.pk} not found"]
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_queue_the_draft_once(org, customer, smtp, system):
    run(org, date(2026, 3, 5))
    draft = Message.objects.get(customer=customer)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve() -> None:
        try:
            barrier.wait()
            draft_approve(org=org, message=draft, actor=system, now=ten(date(2026, 3, 5)))
            outcomes.append("approved")
        except DraftGone:
            outcomes.append("already")
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["already", "approved"]
    assert AuditEvent.objects.filter(verb="message.approved").count() == 1
    assert deliver_due(now=ten(date(2026, 3, 5))).sent == 1
    assert len(smtp.received) == 1
