"""What collections answers for messaging (registered in ``CollectionsConfig.ready``), so messaging
imports nothing of collections: the gate asked again at delivery, the gate for an operator's own
message, the channel fallback of a failed step, reply pauses, and the decisions a withdrawn or
overtaken message gives back (see ``recoup.messaging.hooks``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from recoup.audit.actions import Actor
from recoup.collections.actions import pause_add, pause_lift
from recoup.collections.fallback import step_fallback
from recoup.collections.gate import contact_gate, message_gate
from recoup.collections.models import Pause
from recoup.collections.overtaken import OVERTAKEN, decisions_back, overtaken_answer, step_give_back
from recoup.collections.selectors import active_pauses
from recoup.core.compliance import GateAnswer
from recoup.ledger.models import Customer
from recoup.messaging import hooks
from recoup.messaging.inbound import ACTOR as INBOUND, REPLY_PAUSE_REASON
from recoup.messaging.models import Message
from recoup.orgs.models import Organization


def delivery_gate(message: Message, *, now: datetime) -> GateAnswer:
    """A personal contact that overtook a cycle message first, then the gate itself."""
    return overtaken_answer(message, now=now) or message_gate(message, now=now)


def message_blocked(message: Message, answer: GateAnswer) -> dict:
    """An overtaken cycle message gives its step decisions back (``overtaken.step_give_back``)."""
    return {"decisions_forgotten": step_give_back(message)} if answer.gate == OVERTAKEN else {}


def pause_for_reply(org: Organization, customer: Customer, *, now: datetime) -> bool:
    """Pause the customer's collection until the operator lifts it; one open reply pause is enough."""
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    if active_pauses(org=org, on=today).filter(customer=customer, invoice__isnull=True, ends_on__isnull=True,
                                               reason=REPLY_PAUSE_REASON).exists():
        return True
    pause_add(org=org, customer=customer, reason=REPLY_PAUSE_REASON, starts_on=today, actor=INBOUND, now=now)
    return True


def resume_after_reply(org: Organization, customer: Customer, *, actor: Actor, now: datetime) -> int:
    """Lift the customer's reply pauses; returns how many."""
    pauses = Pause.objects.for_org(org).filter(customer=customer, invoice__isnull=True, lifted_at__isnull=True,
                                               reason=REPLY_PAUSE_REASON)
    return len([pause_lift(org=org, pause=pause, actor=actor, now=now) for pause in pauses])


def register() -> None:
    hooks.register("delivery_gate", delivery_gate)
    hooks.register("contact_gate", contact_gate)
    hooks.register("pause_for_reply", pause_for_reply)
    hooks.register("resume_after_reply", resume_after_reply)
    hooks.register_message_blocked(message_blocked)
    hooks.register_message_failed(step_fallback)
    hooks.register_message_withdrawn(decisions_back)
