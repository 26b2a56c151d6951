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


@pytest.mark.parametrize("source, kind", list(targets.DOCUMENTED_PRESET_SEEDS))
def test_presets_from_documented_columns_never_crash_nor_half_write(org_a, source, kind):
    seeds = [targets.DOCUMENTED_PRESET_SEEDS[(source, kind)].encode()]
    targets.csv_import(org_a, kind, seeds[0], source)  # the seed itself is read (a sanity check of the seed)

    @bounded(12)
    @given(targets.mutated(seeds))
    def run(data):
        targets.csv_import(org_a, kind, data, source)

    run()


def test_every_preset_of_recoup_import_from_is_fuzzed():
    """A new ``--from`` preset fails here until a real export or a documented sample feeds the fuzzers."""
    from recoup.ledger.imports.presets import PRESETS

    fuzzed = {(source, kind) for source, kind, _ in targets.PRESET_SEEDS} | set(targets.DOCUMENTED_PRESET_SEEDS)
    assert sorted(set(PRESETS) - fuzzed) == []


@pytest.mark.parametrize("fmt, name", targets.EINVOICE_SEEDS)
def test_each_einvoice_format_imports_without_crash_nor_half_write(org_a, shared_data, settings, tmp_path, fmt, name):
    from recoup.audit.actions import Actor
    from recoup.ledger.imports.einvoice.importer import import_einvoices

    settings.MEDIA_ROOT = tmp_path  # an imported PDF is kept as the invoice's document
    file_name, seed = targets.einvoice_seed(name)
    (first,) = import_einvoices(org=org_a, files=[(file_name, seed)], actor=Actor.system("fuzz"),
                                now=targets.NOW, dry_run=True).files
    assert first.status != "failed", f"the {fmt} seed itself is refused: {first}"

    @bounded(15)
    @given(targets.mutated([seed]))
    def run(data):
        targets.einvoice_import(org_a, file_name, data)

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


def csv_statement_seeds(shared_data) -> dict[str, tuple[str, bytes]]:
    """Each built-in CSV profile's sample file (../shared/data/csv), found by the profile that reads it."""
    from recoup.banking.parsers import csvfile

    seeds = {}
    for path in sorted((shared_data / "csv").iterdir()):
        data = path.read_bytes()
        for name, profile in csvfile.BUILT_IN.items():
            if name not in seeds and csvfile.find_header(data, profile) is not None:
                seeds[name] = (path.name, data)
    return seeds


def test_every_built_in_csv_statement_profile_is_fuzzed(shared_data):
    from recoup.banking.parsers import csvfile

    seeds = csv_statement_seeds(shared_data)
    assert sorted(set(csvfile.BUILT_IN) - set(seeds)) == [], "a CSV profile without a sample to fuzz"

    @bounded(80)
    @given(st.sampled_from(sorted(seeds)), st.data())
    def run(profile, data):
        name, seed = seeds[profile]
        targets.statement_read(name, data.draw(targets.mutated([seed])))

    run()


def test_a_chosen_csv_profile_never_crashes(shared_data):
    """An organization's own profile (``--profile``) reads a file whatever it holds, or names the problem."""
    from recoup.banking.parsers import StatementError, csvfile, read_file

    seeds = csv_statement_seeds(shared_data)

    @bounded(60)
    @given(st.sampled_from(sorted(seeds)), st.data())
    def run(profile, data):
        name, seed = seeds[profile]
        try:
            read_file(name, data.draw(targets.mutated([seed])), profile=csvfile.BUILT_IN[profile],
                      default_currency="EUR")
        except StatementError as exc:
            assert str(exc)

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
