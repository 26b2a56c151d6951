"""The curl examples in docs/api.md, replayed in order with Django's test client."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from django.test import Client

from recoup.ledger.models import Invoice

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def curl_commands(text: str) -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    commands = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        commands += [shlex.split(line) for line in joined.splitlines() if line.strip().startswith("curl")]
    return commands


def replay(client: Client, argv: list[str], token: str):
    method, headers, data, url = "GET", {}, None, None
    args = iter(argv[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip().replace("$TOKEN", token)
        elif arg == "-d":
            data = next(args)
        elif not arg.startswith("-"):
            url = arg
    path = url.replace("$RECOUP", "")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.generic(method, path, data or "", content_type=headers.get("Content-Type", ""), **extra)


def test_the_documented_examples_run(org_a, system, now):
    from recoup.api.actions import token_create

    _, token = token_create(org=org_a, name="docs", scope="write", actor=system, now=now)
    commands = curl_commands(DOC.read_text(encoding="utf-8"))
    assert len(commands) == 5
    client = Client()
    answers = []
    for argv in commands:
        r = replay(client, argv, token)
        assert r.status_code in (200, 201), (argv, r.content)
        answers.append(json.loads(r.content))
    invoice = Invoice.objects.get(org=org_a, number="2026-0042")
    assert invoice.total_minor == 144000 and invoice.open_minor == 84000
    aging = answers[3]
    assert aging["totals"]["GBP"]["total"] == "840.00"
    assert answers[4]["secret"].startswith("whsec_")
    # Run them all again: the idempotency keys make every POST a replay.
    for argv in commands:
        assert replay(client, argv, token).status_code in (200, 201)
    assert Invoice.objects.filter(org=org_a).count() == 1 and invoice.customer.payments.count() == 1
