"""What the deployment tests read from docs/deploy.md and deploy/: the units, the settings file, the steps.

The shipped files are what is tested: a unit's ``ExecStart``, ``Environment`` and
``EnvironmentFile`` are read from the unit file and run here as systemd would run them (with
the install's paths pointed at this checkout and a settings file of the test's making).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOC = ROOT / "docs" / "deploy.md"
INSTALL_HOME = "/opt/recoup"
INSTALL_ENV_FILE = "/etc/recoup/recoup.env"


@dataclass(frozen=True)
class Unit:
    name: str
    exec_start: str
    environment: dict[str, str]
    environment_file: str

    def command(self, instance: str = "") -> list[str]:
        """ExecStart with ``%i`` filled in and the install's home pointed at this checkout."""
        line = self.exec_start.replace("%i", instance).replace(INSTALL_HOME, str(ROOT))
        return shlex.split(line)


def read_unit(path: Path) -> Unit:
    """The [Service] section's ExecStart, Environment (every line, systemd's quoting) and EnvironmentFile."""
    section, exec_start, env, env_file = "", "", {}, ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]":
            continue
        key, _, value = line.partition("=")
        if key == "ExecStart":
            exec_start = value
        elif key == "Environment":
            for word in shlex.split(value):
                name, _, val = word.partition("=")
                env[name] = val
        elif key == "EnvironmentFile":
            env_file = value.lstrip("-")
    return Unit(path.name, exec_start, env, env_file)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile and ``recoup-ctl`` (POSIX sh) read them."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def write_env_file(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(0o640)


def section(title: str) -> str:
    """The text of the doc's ``## title`` section."""
    text = DOC.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def documented_steps(title: str, program: str) -> list[list[str]]:
    """The shell lines of a doc section's code blocks that run ``program``, as argument lists
    (``sudo -u recoup`` dropped, the install's home pointed at this checkout)."""
    steps = []
    for block in re.findall(r"```sh\n(.*?)```", section(title), flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            if program in line and not line.startswith("#"):
                words = shlex.split(line, comments=True)
                if words[:3] == ["sudo", "-u", "recoup"]:
                    words = words[3:]
                steps.append([w.replace(INSTALL_HOME, str(ROOT)) for w in words])
    return steps


def documented_settings() -> list[str]:
    """The variables of the doc's one table of environment variables, in order."""
    return re.findall(r"^\| `(RECOUP_[A-Z0-9_]+)` \|", section("Environment variables"), flags=re.M)
