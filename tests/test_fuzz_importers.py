"""Hostile input: every importer, fed mutated real files, answers with its own clear error or a result.

Bounded for CI (about 30 s; RECOUP_FUZZ_SCALE multiplies the examples); ``fuzz/run.py`` runs the
same targets for longer. Crashes found so far are pinned as plain tests at the bottom.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz import targets

SCALE = float(os.environ.get("RECOUP_FUZZ_SCALE", "1"))


def bounded(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@pytest.mark.parametrize("kind", list(targets.CSV_SEEDS))
def test_csv_imports_never_crash_nor_half_write(org_a, kind):
    seeds = [targets.CSV_SEEDS[kind].encode()]

    @bounded(25)
    @given(targets.mutated(seeds))
    def run(data):
        targets.csv_import(org_a, kind, data)

    run()


@pytest.mark.parametrize("source, kind, name", targets.PRESET_SEEDS)
def test_tool_exports_never_crash_nor_half_write(org_a, shared_data, source, kind, name):
    seeds = [(shared_data / "csv" / name).read_bytes()]

    @bounded(12)
    @given(targets.mutated(seeds))
    def run(data):
        targets.csv_import(org_a, kind, data, source)

    run()


def test_einvoice_reader_never_crashes(shared_data):
    files = targets.shared_files("ubl", "facturx", limit=8)
    names = [n for n, _ in files]

    @bounded(60)
    @given(st.sampled_from(names), targets.mutated([d for _, d in files]))
    def run(name, data):
        targets.einvoice_read(name, data)

    run()


def test_einvoice_import_never_crashes_nor_half_writes(org_a, shared_data):
    files = [(n, d) for n, d in targets.shared_files("ubl", "facturx", limit=6) if n.endswith(".xml")]

    @bounded(20)
    @given(targets.mutated([d for _, d in files]))
    def run(data):
        targets.einvoice_import(org_a, "fuzz.xml", data)

    run()


def test_statement_readers_never_crash(shared_data):
    files = targets.shared_files("camt", "ofx", "mt940", "csv", limit=6)

    @bounded(80)
    @given(st.sampled_from([n for n, _ in files]), targets.mutated([d for _, d in files]))
    def run(name, data):
        targets.statement_read(name, data)

    run()


def balanced_statement_seeds(shared_data) -> list[tuple[str, bytes]]:
    """Sample files whose balances add up, so a mutation that changes an amount meets the balance check."""
    names = ["camt/genkgo-camt053.v2.multi.statement.xml", "camt/oca-test-camt053-txdtls.xml",
             "camt/hbci4java-camt052.001.08.xml", "mt940/cmxl-mt940.sta", "mt940/oca-test-rabo.swi",
             "mt940/sberbank-171011_01234945.sta", "ofx/ofxparse-checking.ofx", "csv/bank_sample_statement_en.csv"]
    return [(n.split("/")[1], (shared_data / n).read_bytes()) for n in names]


def test_statement_balance_check_never_crashes(shared_data):
    files = balanced_statement_seeds(shared_data)

    @bounded(60)
    @given(st.sampled_from([n for n, _ in files]), targets.mutated([d for _, d in files]))
    def run(name, data):
        targets.statement_read(name, data)

    run()


def test_statement_zips_never_crash(shared_data):
    files = balanced_statement_seeds(shared_data)

    @bounded(60)
    @given(st.one_of(targets.statement_zips(files), targets.mutated([targets.zip_of(files[:3])])))
    def run(data):
        targets.statement_read("up.zip", data)

    run()


def test_statement_import_never_crashes_nor_half_writes(org_a, shared_data):
    files = balanced_statement_seeds(shared_data)
    seeds = [d for _, d in files] + [targets.zip_of(files[:2])]

    @bounded(30)
    @given(st.one_of(targets.mutated(seeds), targets.statement_zips(files[:4])))
    def run(data):
        targets.statement_import(org_a, "up.dat", data)

    run()


def test_policy_yaml_never_crashes():
    @bounded(60)
    @given(targets.mutated(targets.policy_seeds()))
    def run(data):
        targets.policy_parse(data)

    run()


def test_rule_files_never_crash():
    seeds = targets.rule_seeds()

    @bounded(40)
    @given(st.sampled_from(seeds), targets.mutated([d for _, d in seeds]))
    def run(seed, data):
        targets.rule_file_load(seed[0], data)

    run()


def test_rate_book_never_crashes():
    @bounded(25)
    @given(targets.mutated(targets.rate_seeds()))
    def run(data):
        targets.rate_book_load(data)

    run()


# --- crashes the fuzzers found, kept as tests ---


def test_ofx_with_a_second_top_level_element_is_a_clear_error(shared_data):
    from recoup.banking.parsers import StatementError, read_file

    data = (shared_data / "ofx" / "ofxparse-bank_medium.ofx").read_bytes()
    bad = data.replace(b"<BANKMSGSRSV1>", b"</OFX><BANKMSGSRSV1>", 1)
    with pytest.raises(StatementError, match="malformed OFX"):
        read_file("bank_medium.ofx", bad)


def test_a_rule_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    from recoup.core.rules import RuleFileError, load_rule_file

    path = tmp_path / "gb.yaml"
    path.write_bytes(b"\x80jurisdiction: gb\n")
    with pytest.raises(RuleFileError, match="gb.yaml"):
        load_rule_file(path)
