"""The story's scenes (``story``), played on their days through the real actions.

- The settings the business chose when it started: its send window, an agency it works with,
  its bank account.
- A month ago the second reminder of the business policy went to review mode.
- Three disputes raised in the portal: one settled with a credit note, one rejected, one open.
- A payment plan agreed on the phone, its instalments paid as they fall due (one a few days
  late, within the grace days).
- A letter before action that goes unanswered, the account placed with the agency, and the
  agency's first collection.
A scene whose precondition no longer holds (an invoice already paid, say) is skipped with a
log line: the demo never fails over its story.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from recoup.arrangements.actions import ArrangementError, debtor_actor, dispute_open, plan_create
from recoup.arrangements.dispute_actions import dispute_reject, dispute_resolve_credit, dispute_review
from recoup.arrangements.models import Dispute, DisputeStatus
from recoup.banking.actions import account_create
from recoup.collections.actions import CollectionsError, policy_update
from recoup.collections.models import Policy
from recoup.demo.context import Demo
from recoup.escalation.actions import EscalationError, letter_before_action_send, review_decide
from recoup.escalation.models import Agency, Placement
from recoup.escalation.placement_actions import agency_collection_record, agency_save, placement_create
from recoup.ledger import actions as ledger
from recoup.ledger.models import Invoice
from recoup.messaging.actions import contact_log
from recoup.messaging.models import Task, TaskKind, TaskStatus
from recoup.orgs.actions import org_update

log = logging.getLogger(__name__)

AGENCY = "Northgate Credit Management Ltd"
BANK_ACCOUNT = "Business current account"
REVIEWED_STEP = ("business-default", "second-reminder")
SCENE_ERRORS = (ArrangementError, CollectionsError, EscalationError, ledger.LedgerError)


def prepare(demo: Demo) -> None:
    """What the business set up on its first day with Recoup's collections."""
    at = demo.at(8, day=demo.story.start)
    # Deliver between 08:00 and 20:00, Monday to Saturday (the law's window still applies: business hours
    # on working days for businesses), so the tour's reminder lands on most days, not only before noon.
    org_update(org=demo.org, actor=demo.owner, now=at, send_window_start=time(8), send_window_end=time(20),
               send_window_weekdays="123456")
    agency_save(org=demo.org, name=AGENCY, commission_percent=Decimal("15"), actor=demo.owner, now=at,
                contact_name="Placements desk", email="placements@northgate-credit.example",
                phone="+44 1632 960555", address="3 Canal Wharf\nGloucester\nGL1 2EH")
    account_create(org=demo.org, name=BANK_ACCOUNT, iban=demo.org.bank_iban, currency=demo.org.base_currency,
                   actor=demo.owner, now=demo.at(8, day=demo.story.bank_from))


def today(demo: Demo) -> None:
    """The scenes of ``demo.day``, at midday."""
    for play in (_review_mode, _disputes, _payment_plan, _escalation):
        try:
            play(demo, demo.at(12))
        except SCENE_ERRORS as exc:
            log.warning("demo: a scene of %s was skipped: %s", demo.day, exc)


def _review_mode(demo: Demo, at: datetime) -> None:
    if demo.day != demo.story.review_from:
        return
    name, key = REVIEWED_STEP
    policy = Policy.objects.for_org(demo.org).filter(name=name).first()
    if policy is None:
        return
    spec = dict(policy.spec)
    spec["steps"] = [dict(step, mode="review") if step["key"] == key else step for step in spec["steps"]]
    policy_update(org=demo.org, policy=policy, spec=spec, actor=demo.owner, now=at)


def _disputes(demo: Demo, at: datetime) -> None:
    for scene in demo.story.disputes:
        if demo.day < scene.opened_on or (scene.closed_on and demo.day > scene.closed_on):
            continue
        customer = demo.customers[scene.customer_ref]
        invoice = Invoice.objects.for_org(demo.org).get(number=scene.invoice)
        if demo.day == scene.opened_on:
            dispute_open(org=demo.org, customer=customer, invoices=[invoice], category=scene.category,
                         amount_minor=None, message=scene.text, actor=debtor_actor(customer), now=at)
            continue
        dispute = Dispute.objects.for_org(demo.org).filter(invoices=invoice).first()
        if dispute is None:
            continue
        if dispute.status == DisputeStatus.OPEN and demo.working_day() and demo.day > scene.opened_on:
            dispute_review(org=demo.org, dispute=dispute, actor=demo.collector, now=at)
        elif demo.day == scene.closed_on and scene.outcome == "credit":
            amount = int((invoice.total_minor * scene.credit_share).quantize(Decimal(1), ROUND_HALF_UP))
            dispute_resolve_credit(org=demo.org, dispute=dispute, number=demo.ledger.next_credit_note(),
                                   amount_minor=amount, actor=demo.owner, now=at,
                                   reason="Balustrade spindle spacing; agreed reduction while we refit")
        elif demo.day == scene.closed_on and scene.outcome == "reject":
            dispute_reject(org=demo.org, dispute=dispute, actor=demo.owner, now=at, explanation=(
                "The extra hours were agreed by e-mail with your site manager before the work was done; "
                "the signed timesheets are attached to the invoice. The invoice stands."))


def _payment_plan(demo: Demo, at: datetime) -> None:
    scene = demo.story.plan
    if scene is None or demo.day != scene.on:
        return
    customer = demo.customers[scene.customer_ref]
    invoices = list(Invoice.objects.for_org(demo.org).filter(number__in=scene.invoices, open_minor__gt=0))
    if not invoices:
        return
    contact = customer.contacts.order_by("-is_billing", "name").first()
    contact_log(org=demo.org, customer=customer, channel="call", direction="out", at=at, actor=demo.collector,
                now=at, contact=contact, summary="Agreed a payment plan for the arrears",
                content="Cash flow is tight after a late-paying client; they can manage six monthly instalments.")
    plan = plan_create(org=demo.org, customer=customer, invoices=invoices, instalments=scene.instalments,
                       frequency="monthly", first_date=scene.first_date, actor=demo.collector, now=at,
                       note="Agreed on the phone; first instalment in two weeks")
    for instalment in plan.instalments.order_by("number"):
        paid_on = instalment.due_date + timedelta(days=3 if instalment.number == scene.late_instalment else 0)
        if paid_on < demo.today:
            demo.agenda[paid_on].append(_instalment_paid(demo, customer, instalment, plan.pk))


def _instalment_paid(demo: Demo, customer, instalment, plan_id: int):
    def pay(at: datetime) -> None:
        ledger.payment_record(org=demo.org, customer=customer, date=at.date(), amount_minor=instalment.amount_minor,
                              currency=demo.org.base_currency, actor=demo.collector, now=at, method="bank_transfer",
                              reference=f"PLAN {plan_id} INSTALMENT {instalment.number}", payer=customer.legal_name)
    return pay


def _escalation(demo: Demo, at: datetime) -> None:
    scene = demo.story.escalation
    if scene is None or demo.day not in (scene.letter_on, scene.placed_on, scene.collected_on):
        return
    customer = demo.customers[scene.customer_ref]
    task = Task.objects.for_org(demo.org).filter(customer=customer, kind=TaskKind.ESCALATION_REVIEW,
                                                 status=TaskStatus.OPEN).first()
    if demo.day == scene.letter_on:
        review_decide(org=demo.org, customer=customer, choice="letter_before_action", task=task, actor=demo.owner,
                      now=at, note="Nothing paid in months and no answer to the reminders")
        letter_before_action_send(org=demo.org, customer=customer, on=demo.day, actor=demo.owner, now=at)
    elif demo.day == scene.placed_on:
        review_decide(org=demo.org, customer=customer, choice="agency", task=task, actor=demo.owner, now=at,
                      note="No answer to the letter before action")
        placement_create(org=demo.org, agency=Agency.objects.for_org(demo.org).get(name=AGENCY), customer=customer,
                         on=demo.day, actor=demo.owner, now=at)
    else:
        placement = Placement.objects.for_org(demo.org).filter(customer=customer).first()
        if placement is not None:
            amount = int((placement.placed_minor * scene.collected_share).quantize(Decimal(1), ROUND_HALF_UP))
            agency_collection_record(org=demo.org, placement=placement, on=demo.day, amount_minor=amount,
                                     actor=demo.owner, now=at, note="First collection: the debtor agreed to pay half")
