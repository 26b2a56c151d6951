"""With enough settled history an organization gets its own model; the forecast then uses it."""

from __future__ import annotations

import random
from datetime import date, timedelta

from recoup.core import prediction


def test_a_model_is_trained_stored_audited_and_used_only_by_its_organization(org_a, org_b, system, now):
    from recoup.audit.models import AuditEvent
    from recoup.insight import actions, selectors
    from recoup.ledger.models import Customer, Invoice

    # 12 customers x 20 settled invoices, bulk-built (the ledger actions would take long here):
    rng = random.Random(3)
    records = []
    for c in range(12):
        customer = Customer.objects.create(org=org_a, ref=f"C{c}", legal_name=f"C{c}")
        habit = rng.choice([-10, 0, 5, 15, 30])
        for k in range(20):
            issued = date(2025, 1, 1) + timedelta(days=18 * k + c)
            amount = rng.randint(5_000, 400_000)  # big invoices take longer: the customer average cannot see it
            records.append(prediction.InvoiceRecord(
                key=f"{c}-{k}", customer=str(customer.pk), issue_date=issued, due_date=issued + timedelta(days=30),
                amount_minor=amount,
                settled=issued + timedelta(days=max(1, 30 + habit + amount // 10_000 + rng.randint(-2, 2)))))
    assert prediction.enough_history(records)
    row = actions.prediction_train(org=org_a, currency="GBP", records=records, on=date(2026, 3, 31),
                                   actor=system, now=now)
    assert row is not None and row.n_train == 240 and row.n_customers == 12
    assert row.mae_days is not None and row.mae_days < row.baseline_mae_days
    assert AuditEvent.objects.filter(org=org_a, verb="prediction.trained").count() == 1
    stored, estimator = selectors.latest_model(org=org_a, currency="GBP")
    assert stored == row and estimator is not None
    assert selectors.latest_model(org=org_b, currency="GBP") == (None, None)

    # An open invoice of the slowest customer is then predicted by the model.
    slow = max(range(12), key=lambda c: sum(r.days_to_settle for r in records if r.key.startswith(f"{c}-")))
    from recoup.ledger.actions import LineInput, invoice_create
    from decimal import Decimal
    customer = Customer.objects.get(org=org_a, ref=f"C{slow}")
    invoice_create(org=org_a, customer=customer, number="OPEN-1", issue_date=date(2026, 3, 20), due_date=None,
                   currency="GBP", lines=[LineInput("Goods", Decimal(1), Decimal("100.00"))], actor=system, now=now)
    preds = selectors.predictions(org=org_a, currency="GBP", on=date(2026, 3, 31))
    assert preds.method == "model" and len(preds.items) == 1
    assert Invoice.objects.filter(org=org_b).count() == 0


def test_too_little_history_trains_nothing(org_a, system, now):
    from recoup.insight import actions
    from recoup.insight.models import PredictionModel

    few = [prediction.InvoiceRecord("1", "c", date(2026, 1, 1), date(2026, 1, 31), 100, settled=date(2026, 2, 1))]
    assert actions.prediction_train(org=org_a, currency="GBP", records=few, on=date(2026, 3, 31),
                                    actor=system, now=now) is None
    assert not PredictionModel.objects.exists()
