"""docs/deploy.md and deploy/ agree with the code: every setting in one table, every file explained, units valid."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from conftest import require
from tests.deploy_setup import DEPLOY, DOC, ROOT, documented_settings, documented_steps, read_env_file, read_unit

# env*("RECOUP_X", ...) from recoup.lib.env, and os.environ reads.
READS = re.compile(r"""(?:env(?:str|bool|int|hexlist)\(\s*|os\.environ(?:\.get)?[\(\[]\s*)["'](RECOUP_[A-Z0-9_]+)["']""")


def settings_read_by_the_code() -> set[str]:
    found = set()
    for path in (ROOT / "recoup").rglob("*.py"):
        if "tests" not in path.relative_to(ROOT).parts:
            found |= set(READS.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_setting_the_code_reads_is_in_the_one_table_and_nothing_else():
    documented = documented_settings()
    assert len(documented) == len(set(documented)), "a variable is listed twice"
    read = settings_read_by_the_code()
    assert sorted(read - set(documented)) == [], "read by the code but not in docs/deploy.md's table"
    assert sorted(set(documented) - read) == [], "in docs/deploy.md's table but never read by the code"


def test_the_example_settings_file_sets_only_documented_variables():
    example = read_env_file(DEPLOY / "recoup.env.example")
    assert set(example) <= set(documented_settings())
    assert example["RECOUP_HTTPS"] == "true" and example["RECOUP_BASE_URL"].startswith("https://")


def test_every_shipped_file_is_explained_in_the_doc():
    doc = DOC.read_text()
    shipped = [p.relative_to(ROOT).as_posix() for p in DEPLOY.rglob("*") if p.is_file()]
    assert shipped and [p for p in shipped if f"`{p}`" not in doc] == []


def test_each_unit_runs_a_recoup_command_that_exists():
    from django.core.management import get_commands

    units = {p.name: read_unit(p) for p in (DEPLOY / "systemd").glob("*.service")}
    assert set(units) == {"recoup-web@.service", "recoup-worker@.service", "recoup-scheduler.service"}
    for unit in units.values():
        words = unit.command("8001")
        assert words[0] == str(ROOT / ".venv" / "bin" / "recoup") and words[1] in get_commands(), unit.name
        assert unit.environment_file == "/etc/recoup/recoup.env", unit.name
    assert units["recoup-web@.service"].command("8001")[1:] == ["serve", "--host", "127.0.0.1", "--port", "8001",
                                                                 "--threads", "8"]


def test_the_doc_starts_the_units_it_ships():
    enabled = [w for step in documented_steps("One machine", "systemctl enable") for w in step[3:]]
    units = {p.name for p in (DEPLOY / "systemd").iterdir()}
    for name in enabled:
        template = re.sub(r"@[^.]*$", "@", name)
        assert f"{name}.service" in units or f"{template}.service" in units or name in units, name


def test_systemd_accepts_the_unit_files(tmp_path):
    require("systemd-analyze", shutil.which("systemd-analyze") is not None, "install systemd")
    for path in (DEPLOY / "systemd").iterdir():
        text = path.read_text().replace("/opt/recoup", str(ROOT)).replace("/etc/recoup/recoup.env",
                                                                           str(DEPLOY / "recoup.env.example"))
        name = path.name.replace("@.", "@8001.")
        (tmp_path / name).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


# Two settings were documented (the README's table, a restore error) but never read: the table test found them.
def test_the_api_rate_limit_is_read_from_the_environment(tmp_path):
    env = {**os.environ, "RECOUP_API_RATE_LIMIT": "7", "RECOUP_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-m", "recoup.cli", "shell", "-c",
                           "from recoup.api.auth import rate_limit; print('LIMIT', rate_limit())"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "LIMIT 7" in done.stdout, done.stderr


@pytest.mark.django_db(transaction=True)
def test_recoup_backup_json_makes_a_json_backup_that_any_engine_restores(settings, tmp_path, org_a):
    import json
    import tarfile

    from recoup.ops.backup import backup_create

    settings.RECOUP_BACKUP_JSON = True
    settings.MEDIA_ROOT = tmp_path / "media"
    result = backup_create(output=tmp_path / "b.tar.gz", now=datetime(2026, 3, 31, tzinfo=timezone.utc))
    with tarfile.open(result.path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert manifest["method"] == "json" and manifest["database"] == "db.json"
        assert any(row["model"] == "orgs.organization" for row in json.loads(tar.extractfile("db.json").read()))
