import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.calendar import BusinessCalendar
from recoup.core.policy import (
    CHANNELS,
    CustomerFacts,
    Decision,
    InvoiceFacts,
    MessagePlan,
    Occurrence,
    Policy,
    PolicyError,
    Step,
    StepAction,
    decide_invoice,
    overdue_minor_by_currency,
    plan_customer,
    schedule,
)

GB = BusinessCalendar("GB")
BUSINESS = CustomerFacts(kind="business")

LADDER = Policy(
    name="Business",
    description="Firm but fair",
    steps=(
        Step(key="friendly", name="Friendly note", offset_days=-3),
        Step(key="first-reminder", name="First reminder", offset_days=1),
        Step(key="second-reminder", name="Second reminder", offset_days=14, channels=("email", "sms")),
        Step(key="call", name="Call", offset_days=21, channels=("call",), repeat_every_days=7, repeat_max=2),
        Step(key="final-notice", name="Final notice", offset_days=45, channels=("letter", "email"),
             action=StepAction.LATE_FEE),
    ),
)

DUE = date(2026, 3, 2)


def invoice(id=1, due=DUE, open_minor=10000, currency="GBP", paused=False, number=None):
    return InvoiceFacts(id=id, number=number or f"INV-{id}", due_date=due, open_minor=open_minor,
                        currency=currency, paused=paused)


def decide(policy=LADDER, inv=None, customer=BUSINESS, on=DUE, decided=frozenset(), calendar=GB,
           minor_exponent=2):
    return decide_invoice(policy=policy, invoice=inv or invoice(), customer=customer, on=on,
                          decided=frozenset(decided), calendar=calendar, minor_exponent=minor_exponent)


def as_tuples(decisions):
    return [(d.step_key, d.number, d.status) for d in decisions]


# -- policies as data ---------------------------------------------------------------------------

def one_step(**fields):
    return {"name": "P", "steps": [{"key": "a", "name": "A", "offset_days": 1, **fields}]}


@pytest.mark.parametrize("fields, path", [
    ({"key": "Second Reminder"}, "steps[0].key"),
    ({"key": ""}, "steps[0].key"),
    ({"name": "  "}, "steps[0].name"),
    ({"offset_days": "7"}, "steps[0].offset_days"),
    ({"offset_days": True}, "steps[0].offset_days"),
    ({"offset_days": 99999}, "steps[0].offset_days"),
    ({"business_days": "yes"}, "steps[0].business_days"),
    ({"channels": []}, "steps[0].channels"),
    ({"channels": "email"}, "steps[0].channels"),
    ({"channels": ["email", "fax"]}, "steps[0].channels[1]"),
    ({"channels": ["sms", "sms"]}, "steps[0].channels[1]"),
    ({"action": "sue"}, "steps[0].action"),
    ({"min_overdue": "-1"}, "steps[0].min_overdue"),
    ({"min_overdue": "lots"}, "steps[0].min_overdue"),
    ({"min_overdue": 12.5}, "steps[0].min_overdue"),
    ({"customer_kinds": ["government"]}, "steps[0].customer_kinds[0]"),
    ({"tags": [""]}, "steps[0].tags[0]"),
    ({"repeat_max": 3}, "steps[0].repeat_every_days"),
    ({"repeat_every_days": 0, "repeat_max": 1}, "steps[0].repeat_every_days"),
    ({"repeat_every_days": 7, "repeat_max": -1}, "steps[0].repeat_max"),
    ({"template": 5}, "steps[0].template"),
    ({"colour": "red"}, "steps[0].colour"),
])
def test_it_refuses_a_bad_step_naming_the_field(fields, path):
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(one_step(**fields))
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize("data, path", [
    ({"steps": []}, "name"),
    ({"name": "P"}, "steps"),
    ({"name": "P", "steps": [], "owner": "me"}, "owner"),
    ({"name": "P", "steps": "none"}, "steps"),
    ({"name": "P", "steps": ["a"]}, "steps[0]"),
    ({"name": "P", "steps": [{"key": "a", "name": "A"}]}, "steps[0].offset_days"),
    ("P", "policy"),
])
def test_it_refuses_a_bad_policy_file_naming_the_field(data, path):
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(data)
    assert caught.value.path == path


def test_it_refuses_steps_out_of_order_tied_or_sharing_a_key():
    a = Step(key="a", name="A", offset_days=5)
    with pytest.raises(PolicyError, match=r"steps\[1\]\.offset_days: must be later"):
        Policy(name="P", steps=(a, Step(key="b", name="B", offset_days=5)))
    with pytest.raises(PolicyError, match=r"steps\[1\]\.offset_days"):
        Policy(name="P", steps=(a, Step(key="b", name="B", offset_days=-1)))
    with pytest.raises(PolicyError, match=r"steps\[1\]\.key: 'a' is used"):
        Policy(name="P", steps=(a, Step(key="a", name="Again", offset_days=9)))


def test_a_step_built_in_code_names_its_own_field():
    with pytest.raises(PolicyError) as caught:
        Step(key="a", name="A", offset_days=1, channels=("pigeon",))
    assert (caught.value.path, caught.value.message) == ("channels[0]", "'pigeon' is not one of email, sms, letter, call")


def test_it_normalises_lists_text_actions_and_amounts():
    step = Step(key="a", name="A", offset_days=1, channels=["sms", "email"], action="credit_hold",
                min_overdue="250.00", tags=["vip"])
    assert step.channels == ("sms", "email")
    assert step.action is StepAction.CREDIT_HOLD
    assert step.min_overdue == Decimal("250.00")
    assert step.tags == ("vip",)
    assert step.template_name == "a"
    assert Step(key="a", name="A", offset_days=1, template="gentle").template_name == "gentle"


def test_it_dumps_plain_yaml_ready_data_and_loads_it_back():
    step = Step(key="hold", name="Hold", offset_days=30, business_days=True, channels=("letter",),
                action=StepAction.CREDIT_HOLD, min_overdue=Decimal("1000.50"), customer_kinds=("business",),
                tags=("wholesale",), repeat_every_days=10, repeat_max=2, template="hold-letter")
    policy = Policy(name="P", steps=(step,))
    data = policy.to_dict()
    assert data == {"name": "P", "description": "", "steps": [{
        "key": "hold", "name": "Hold", "offset_days": 30, "channels": ["letter"], "business_days": True,
        "action": "credit_hold", "min_overdue": "1000.50", "customer_kinds": ["business"],
        "tags": ["wholesale"], "repeat_every_days": 10, "repeat_max": 2, "template": "hold-letter",
    }]}
    assert json.loads(json.dumps(data)) == data
    assert Policy.from_dict(data) == policy


keys = [f"step-{i}" for i in range(6)]


@st.composite
def policies(draw):
    offsets = sorted(draw(st.sets(st.integers(-10, 60), min_size=1, max_size=5)))
    steps = []
    for i, offset in enumerate(offsets):
        every = draw(st.none() | st.integers(1, 10))
        steps.append(Step(
            key=keys[i],
            name=f"Step {i}",
            offset_days=offset,
            business_days=draw(st.booleans()),
            channels=tuple(draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=4, unique=True))),
            action=draw(st.sampled_from(list(StepAction))),
            min_overdue=draw(st.decimals(min_value=0, max_value=10000, places=2)),
            customer_kinds=tuple(draw(st.lists(st.sampled_from(["business", "consumer"]), unique=True))),
            tags=tuple(draw(st.lists(st.sampled_from(["vip", "wholesale", "slow"]), unique=True))),
            repeat_every_days=every,
            repeat_max=draw(st.integers(0, 4)) if every else 0,
            template=draw(st.sampled_from(["", "custom"])),
        ))
    return Policy(name=draw(st.sampled_from(["Business", "Gentle"])), description="d", steps=tuple(steps))


@given(policy=policies())
def test_every_policy_round_trips_through_plain_data(policy):
    data = policy.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert Policy.from_dict(data) == policy


# -- schedule -----------------------------------------------------------------------------------

def test_it_schedules_every_step_and_repeat_in_policy_order():
    assert schedule(LADDER, DUE, GB) == [
        Occurrence("friendly", 0, date(2026, 2, 27)),
        Occurrence("first-reminder", 0, date(2026, 3, 3)),
        Occurrence("second-reminder", 0, date(2026, 3, 16)),
        Occurrence("call", 0, date(2026, 3, 23)),
        Occurrence("call", 1, date(2026, 3, 30)),
        Occurrence("call", 2, date(2026, 4, 6)),
        Occurrence("final-notice", 0, date(2026, 4, 16)),
    ]


def business_step(offset, **fields):
    return Policy(name="P", steps=(Step(key="a", name="A", offset_days=offset, business_days=True, **fields),))


def test_a_business_day_offset_skips_weekends_and_holidays():
    # Friday 25 December 2026: Christmas; Boxing Day (Saturday) is observed on Monday the 28th.
    assert schedule(business_step(1), date(2026, 12, 25), GB)[0].on == date(2026, 12, 29)
    assert schedule(business_step(1), date(2026, 12, 25), BusinessCalendar("DE"))[0].on == date(2026, 12, 28)
    assert schedule(business_step(-2), date(2026, 12, 29), GB)[0].on == date(2026, 12, 23)


def test_without_a_calendar_business_days_are_weekdays():
    assert schedule(business_step(1), date(2026, 12, 25), None)[0].on == date(2026, 12, 28)


def test_a_zero_business_day_offset_rolls_forward_to_a_business_day():
    assert schedule(business_step(0), date(2026, 12, 25), GB)[0].on == date(2026, 12, 29)
    assert schedule(business_step(0), date(2026, 12, 24), GB)[0].on == date(2026, 12, 24)


def test_repeats_count_calendar_days_from_the_first_occurrence():
    policy = business_step(1, repeat_every_days=3, repeat_max=2)
    assert [o.on for o in schedule(policy, date(2026, 12, 25), GB)] == [
        date(2026, 12, 29), date(2027, 1, 1), date(2027, 1, 4)]


due_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
calendars = st.sampled_from([None, GB, BusinessCalendar("DE"), BusinessCalendar("US"), BusinessCalendar("FR")])


@given(policy=policies(), due=due_dates, calendar=calendars)
def test_a_schedule_is_deterministic_and_each_step_runs_forward(policy, due, calendar):
    occurrences = schedule(policy, due, calendar)
    assert occurrences == schedule(policy, due, calendar)
    assert [o.step_key for o in occurrences] == [
        s.key for s in policy.steps for _ in range(s.repeat_max + 1 if s.repeat_every_days else 1)]
    for step in policy.steps:
        mine = [o for o in occurrences if o.step_key == step.key]
        assert [o.number for o in mine] == list(range(len(mine)))
        assert all(a.on < b.on for a, b in zip(mine, mine[1:]))


@given(due=due_dates, offset=st.integers(-30, 30), country=st.sampled_from(["GB", "DE", "US", "FR"]))
def test_business_day_offsets_never_land_on_a_weekend_or_holiday(due, offset, country):
    calendar = BusinessCalendar(country)
    on = schedule(business_step(offset), due, calendar)[0].on
    assert calendar.is_business_day(on)
    assert (on > due) if offset > 0 else (on < due) if offset < 0 else (on >= due)


# -- deciding one invoice -----------------------------------------------------------------------

def test_a_step_is_due_on_its_date_and_not_before():
    assert decide(on=date(2026, 2, 26)) == []
    assert decide(on=date(2026, 2, 27)) == [Decision(1, "friendly", 0, "due")]


def test_it_decides_nothing_already_decided():
    assert decide(on=date(2026, 2, 28), decided={("friendly", 0)}) == []


def test_missed_days_are_caught_up_once_at_the_most_advanced_step():
    decisions = decide(on=date(2026, 3, 25), decided={("friendly", 0)})
    assert as_tuples(decisions) == [
        ("first-reminder", 0, "superseded"),
        ("second-reminder", 0, "superseded"),
        ("call", 0, "due"),
    ]


def test_it_never_steps_back_down_the_ladder():
    policy = Policy(name="P", steps=(
        Step(key="reminder", name="Reminder", offset_days=1, repeat_every_days=10, repeat_max=3),
        Step(key="final", name="Final", offset_days=15),
    ))
    decided = {("reminder", 0), ("reminder", 1), ("final", 0)}
    assert as_tuples(decide(policy, on=date(2026, 3, 23), decided=decided)) == [("reminder", 2, "superseded")]


@pytest.mark.parametrize("inv, customer", [
    (invoice(open_minor=0), BUSINESS),
    (invoice(open_minor=-500), BUSINESS),
    (invoice(paused=True), BUSINESS),
    (invoice(), CustomerFacts(kind="business", paused=True)),
])
def test_a_paid_or_paused_invoice_gets_nothing(inv, customer):
    assert decide(inv=inv, customer=customer, on=date(2026, 6, 1)) == []


def conditional(**fields):
    return Policy(name="P", steps=(Step(key="a", name="A", offset_days=0, **fields),))


@pytest.mark.parametrize("step, customer, applies", [
    ({"customer_kinds": ("consumer",)}, CustomerFacts(kind="business"), False),
    ({"customer_kinds": ("consumer",)}, CustomerFacts(kind="consumer"), True),
    ({"tags": ("vip", "slow")}, CustomerFacts(kind="business", tags=frozenset({"slow"})), True),
    ({"tags": ("vip",)}, CustomerFacts(kind="business", tags=frozenset({"slow"})), False),
    ({"tags": ("vip",)}, CustomerFacts(kind="business"), False),
    ({"min_overdue": Decimal("100")}, CustomerFacts("business", overdue_minor_by_currency={"GBP": 10000}), True),
    ({"min_overdue": Decimal("100")}, CustomerFacts("business", overdue_minor_by_currency={"GBP": 9999}), False),
    ({"min_overdue": Decimal("100")}, CustomerFacts("business", overdue_minor_by_currency={"EUR": 50000}), False),
    ({"min_overdue": Decimal("100.001")}, CustomerFacts("business", overdue_minor_by_currency={"GBP": 10000}), False),
])
def test_a_step_applies_only_when_its_conditions_hold(step, customer, applies):
    assert bool(decide(conditional(**step), customer=customer)) is applies


@pytest.mark.parametrize("currency, exponent, overdue_minor, applies", [
    ("JPY", 0, 5000, True),
    ("JPY", 0, 4999, False),
    ("KWD", 3, 5_000_000, True),
    ("KWD", 3, 4_999_999, False),
])
def test_the_minimum_overdue_amount_is_compared_in_the_currencys_minor_units(currency, exponent,
                                                                            overdue_minor, applies):
    customer = CustomerFacts("business", overdue_minor_by_currency={currency: overdue_minor})
    decisions = decide(conditional(min_overdue=Decimal("5000")), inv=invoice(currency=currency),
                       customer=customer, minor_exponent=exponent)
    assert bool(decisions) is applies


def always_open(policy, due, calendar, run_days):
    """Run the cycle on each of run_days for one open invoice; return every decision."""
    decided: set[tuple[str, int]] = set()
    every = []
    for day in run_days:
        decisions = decide(policy, inv=invoice(due=due), customer=CustomerFacts("business", frozenset(
            {"vip", "wholesale", "slow"}), overdue_minor_by_currency={"GBP": 10**9}), on=day,
                           decided=decided, calendar=calendar)
        now_due = [d for d in decisions if d.status == "due"]
        assert len(now_due) <= 1
        if now_due:
            assert now_due[0] == max(decisions, key=lambda d: policy.rank(d.step_key, d.number))
        for d in decisions:
            assert (d.step_key, d.number) not in decided
            decided.add((d.step_key, d.number))
        every.append(decisions)
    return decided, every


def consumer_free(policy):
    """The policy with its customer-kind conditions dropped (the simulated customer is a business)."""
    return Policy.from_dict({**policy.to_dict(), "steps": [
        {k: v for k, v in s.items() if k != "customer_kinds"} for s in policy.to_dict()["steps"]]})


@given(policy=policies(), due=due_dates, calendar=calendars, days=st.integers(0, 120))
def test_a_daily_cycle_decides_every_occurrence_exactly_once(policy, due, calendar, days):
    policy = consumer_free(policy)
    start = due - timedelta(days=20)
    end = start + timedelta(days=days)
    decided, every = always_open(policy, due, calendar, [start + timedelta(days=i) for i in range(days + 1)])
    scheduled = {(o.step_key, o.number) for o in schedule(policy, due, calendar) if o.on <= end}
    assert decided == scheduled


@given(policy=policies(), due=due_dates, calendar=calendars, first=st.integers(-15, 90),
       gaps=st.lists(st.integers(1, 30), max_size=5))
def test_skipped_days_are_caught_up_once_and_only_the_latest_is_due(policy, due, calendar, first, gaps):
    policy = consumer_free(policy)
    run_days = [due + timedelta(days=first)]
    for gap in gaps:
        run_days.append(run_days[-1] + timedelta(days=gap))
    decided, every = always_open(policy, due, calendar, run_days)
    occurrences = schedule(policy, due, calendar)
    assert decided == {(o.step_key, o.number) for o in occurrences if o.on <= run_days[-1]}
    first_run = every[0]
    pending = [o for o in occurrences if o.on <= run_days[0]]
    assert [(d.step_key, d.number) for d in first_run] == [(o.step_key, o.number) for o in pending]
    if not pending:
        return
    latest = max(pending, key=lambda o: policy.rank(o.step_key, o.number))
    assert [(d.step_key, d.number) for d in first_run if d.status == "due"] == [(latest.step_key, latest.number)]
    assert all(d.status == "superseded" for d in first_run if (d.step_key, d.number) != (latest.step_key, latest.number))


@given(policy=policies(), due=due_dates, open_minor=st.integers(-1000, 0), paused=st.booleans(),
       on=st.integers(-30, 400))
def test_a_paid_invoice_never_gets_a_decision(policy, due, open_minor, paused, on):
    assert decide(policy, inv=invoice(due=due, open_minor=open_minor, paused=paused),
                  on=due + timedelta(days=on)) == []


@given(policy=policies(), due=due_dates, on=st.integers(-30, 400))
def test_a_paused_invoice_or_customer_never_gets_a_decision(policy, due, on):
    day = due + timedelta(days=on)
    assert decide(policy, inv=invoice(due=due, paused=True), on=day) == []
    assert decide(policy, inv=invoice(due=due), customer=CustomerFacts("business", paused=True), on=day) == []


def test_it_totals_a_customers_overdue_invoices_per_currency():
    invoices = [
        invoice(1, due=date(2026, 3, 1), open_minor=1000),
        invoice(2, due=date(2026, 3, 2), open_minor=250),
        invoice(3, due=date(2026, 3, 3), open_minor=7000),  # due today: not overdue yet
        invoice(4, due=date(2026, 1, 1), open_minor=0),
        invoice(5, due=date(2026, 1, 1), open_minor=900, currency="EUR"),
    ]
    assert overdue_minor_by_currency(invoices, date(2026, 3, 3)) == {"GBP": 1250, "EUR": 900}


# -- planning a customer's messages -------------------------------------------------------------

def test_it_sends_one_message_per_channel_at_the_most_advanced_step_listing_every_overdue_invoice():
    on = date(2026, 3, 16)
    invoices = [
        invoice(1, due=date(2026, 3, 2), number="INV-7"),
        invoice(2, due=date(2026, 2, 1), number="INV-1"),
        invoice(3, due=date(2026, 3, 16), number="INV-9"),  # due today, no step yet
        invoice(4, due=date(2026, 4, 1), number="INV-12"),  # not due yet
        invoice(5, due=date(2026, 1, 1), number="INV-0", open_minor=0),  # paid
        invoice(6, due=date(2026, 1, 5), number="INV-2", paused=True),  # in dispute
    ]
    decisions = [
        Decision(1, "second-reminder", 0, "due"),
        Decision(2, "call", 0, "superseded"),
        Decision(2, "first-reminder", 0, "due"),
    ]
    assert plan_customer(policy=LADDER, decisions=decisions, invoices=invoices, on=on) == [
        MessagePlan("email", "second-reminder", 0, (2, 1, 3), (2, 1)),
        MessagePlan("sms", "second-reminder", 0, (2, 1, 3), (2, 1)),
    ]


def test_a_friendly_pre_due_note_lists_the_upcoming_invoice():
    invoices = [invoice(1, due=date(2026, 3, 2)), invoice(2, due=date(2026, 3, 20))]
    plans = plan_customer(policy=LADDER, decisions=[Decision(1, "friendly", 0, "due")], invoices=invoices,
                          on=date(2026, 2, 27))
    assert plans == [MessagePlan("email", "friendly", 0, (1,), (1,))]


def test_a_later_repeat_outranks_an_earlier_one_of_the_same_step():
    invoices = [invoice(1), invoice(2)]
    decisions = [Decision(1, "call", 2, "due"), Decision(2, "call", 0, "due")]
    plans = plan_customer(policy=LADDER, decisions=decisions, invoices=invoices, on=date(2026, 4, 10))
    assert [(p.channel, p.step_key, p.number) for p in plans] == [("call", "call", 2)]


def test_nothing_is_planned_without_a_due_decision():
    decisions = [Decision(1, "call", 0, "superseded")]
    assert plan_customer(policy=LADDER, decisions=decisions, invoices=[invoice()], on=date(2026, 4, 1)) == []


@given(policy=policies(), on=due_dates, data=st.data())
def test_a_plan_has_one_message_per_channel_listing_every_due_invoice(policy, on, data):
    count = data.draw(st.integers(1, 6))
    invoices = [
        invoice(i, due=on + timedelta(days=data.draw(st.integers(-60, 30))),
                open_minor=data.draw(st.sampled_from([0, 500, 10000])))
        for i in range(count)
    ]
    occurrences = schedule(policy, on, None)
    decisions = [
        Decision(inv.id, o.step_key, o.number, data.draw(st.sampled_from(["due", "superseded"])))
        for inv in invoices if inv.open_minor > 0
        for o in [data.draw(st.sampled_from(occurrences))]
    ]
    plans = plan_customer(policy=policy, decisions=decisions, invoices=invoices, on=on)
    channels = [p.channel for p in plans]
    assert len(channels) == len(set(channels))
    due = [d for d in decisions if d.status == "due"]
    if not due:
        assert plans == []
        return
    top = max(due, key=lambda d: policy.rank(d.step_key, d.number))
    assert channels == list(policy.step(top.step_key).channels)
    for plan in plans:
        assert set(plan.due_invoice_ids) == {d.invoice_id for d in due}
        assert set(plan.due_invoice_ids) <= set(plan.invoice_ids)
        listed = [next(i for i in invoices if i.id == id) for id in plan.invoice_ids]
        assert all(i.open_minor > 0 for i in listed)
        assert listed == sorted(listed, key=lambda i: (i.due_date, i.number))
        assert {i.id for i in invoices if i.open_minor > 0 and i.due_date <= on} <= set(plan.invoice_ids)
