"""Two imports at once: the first statements of a new bank account, or the same file twice.

On PostgreSQL with two threads (each its own connection), and on SQLite with two processes of
``recoup statement-import`` on one database file, as two operators would run them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import NOW
from django.db import connection

from recoup.audit.actions import Actor
from recoup.banking import actions
from recoup.banking.models import BankAccount, Statement, StatementLine
from recoup.banking.tests.builders import Entry, camt053

ROOT = Path(__file__).resolve().parents[3]
IBAN = "GB33BUKB20201555555555"


def statement(day: int, lines: int = 400) -> bytes:
    on = date(2026, 4, 1) + timedelta(days=day)
    return camt053([Entry(f"{n + 1}.00", on, name=f"Payer {n}", text=f"payment {day}-{n}") for n in range(lines)],
                   iban=IBAN, statement_id=f"STMT-{day}")


def at_once(org, *files: bytes) -> list[BaseException]:
    barrier = threading.Barrier(len(files))
    errors: list[BaseException] = []

    def run(data: bytes) -> None:
        try:
            barrier.wait()
            actions.statement_import(org=org, file_name="s.xml", data=data, actor=Actor.system("test"), now=NOW,
                                     add_accounts=[IBAN])  # confirmed by the operator: not yet acme's
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(data,)) for data in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_imports_of_a_new_account_at_once_share_one_account(org_a):
    assert at_once(org_a, statement(1), statement(2)) == []
    [account] = BankAccount.objects.for_org(org_a)
    assert account.iban == IBAN
    assert Statement.objects.for_org(org_a).filter(account=account).count() == 2
    assert StatementLine.objects.for_org(org_a).count() == 800


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_is_imported_once(org_a):
    data = statement(1)
    assert at_once(org_a, data, data) == []
    assert BankAccount.objects.for_org(org_a).count() == 1
    assert Statement.objects.for_org(org_a).count() == 1 and StatementLine.objects.for_org(org_a).count() == 400


# Run in each process: the import, held after reading the file until every process has read its own,
# so all of them reach the database together (the moment two operators' imports collide).
IMPORT_TOGETHER = """
import os, sys, time
from pathlib import Path
from django.core.management import call_command
from recoup.banking import actions

gate, path, count = Path(os.environ["GATE"]), os.environ["STATEMENT"], int(os.environ["COUNT"])
read = actions.read_file

def read_then_wait(*args, **kwargs):
    statements = read(*args, **kwargs)
    (gate / str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(list(gate.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return statements

actions.read_file = read_then_wait
call_command("statement-import", path, "--org", "acme", "--format", "json", "--add-account")
"""


@pytest.mark.django_db(transaction=True)
def test_three_processes_importing_at_once_on_sqlite(org_a, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file case; PostgreSQL runs the thread tests above")
    db, gate = tmp_path / "db.sqlite3", tmp_path / "gate"
    gate.mkdir()
    with connection.cursor() as cursor:  # the migrated test database, with its organization, as a file
        cursor.execute("VACUUM INTO %s", [str(db)])
    first, second = tmp_path / "day1.xml", tmp_path / "day2.xml"
    first.write_bytes(statement(1, lines=50))
    second.write_bytes(statement(2, lines=50))
    env = {**os.environ, "RECOUP_DATABASE_URL": f"sqlite:///{db}", "RECOUP_VAR_DIR": str(tmp_path),
           "GATE": str(gate), "COUNT": "3"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Three first imports of a new account at once, two of them the same file.
    procs = [subprocess.Popen([sys.executable, "-m", "recoup.cli", "shell", "-c", IMPORT_TOGETHER],
                              env={**env, "STATEMENT": str(path)}, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for path in (first, first, second)]
    runs = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert [code for code, _, _ in runs] == [0, 0, 0], [err[-800:] for _, _, err in runs]
    outcomes = [json.loads(out[out.index("{"):]) for _, out, _ in runs]  # after the shell's own banner
    assert sorted(o["already_imported"] for o in outcomes[:2]) == [False, True] and not outcomes[2]["already_imported"]
    with sqlite3.connect(db) as check:
        assert check.execute("select count(*) from banking_bankaccount").fetchone() == (1,)
        assert check.execute("select count(*) from banking_statement").fetchone() == (2,)
        assert check.execute("select count(*) from banking_statementline").fetchone() == (100,)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_new_account_or_csv_profile_saved_twice_at_once_is_one(org_a):
    from recoup.banking.models import CsvProfile

    def create_account() -> None:
        actions.account_create(org=org_a, name="Giro", actor=Actor.system("test"), now=NOW, existing_ok=True)

    def save_profile() -> None:
        actions.csv_profile_save(org=org_a, actor=Actor.system("test"), now=NOW, name="my-bank", date_column="D",
                                 date_format="%d.%m.%Y", amount_column="A")

    for work in (create_account, save_profile):
        barrier, errors = threading.Barrier(4), []

        def run() -> None:
            try:
                barrier.wait()
                work()
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], work.__name__
    assert BankAccount.objects.for_org(org_a).count() == 1 and CsvProfile.objects.for_org(org_a).count() == 1
