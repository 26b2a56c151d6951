"""Amounts sent to the books (write-back) and to their fakes travel as exact JSON numbers: written
from Decimal by ``money_json``, read back as Decimal by ``loads``, never through float."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recoup.connections.providers.http import loads, money_json


@pytest.mark.parametrize("amount", ["0.10", "115.00", "1234567.89", "90071992547409.93", "-0.01"])
def test_an_amount_is_written_as_its_digits_and_read_back_the_same(amount):
    body = money_json({"Amount": Decimal(amount), "Date": date(2026, 3, 31), "Lines": [{"Amount": Decimal(amount)}]})
    assert body == f'{{"Amount": {amount}, "Date": "2026-03-31", "Lines": [{{"Amount": {amount}}}]}}'.encode()
    read = loads(body)
    assert read["Amount"] == Decimal(amount) and isinstance(read["Amount"], Decimal)


def test_what_json_cannot_hold_is_refused_not_turned_into_a_string():
    assert money_json({"Quantity": 1, "Paid": True}) == b'{"Quantity": 1, "Paid": true}'
    with pytest.raises(TypeError):
        money_json({"Amount": object()})
