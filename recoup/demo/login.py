"""The demo login, kept in ``VAR_DIR/demo-login.txt`` so ``make run`` can show it on every start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DemoLogin:
    url: str
    username: str
    password: str

    def line(self) -> str:
        return f"Recoup is running at {self.url} — log in as {self.username} / {self.password}"


def login_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-login.txt"


def save_login(login: DemoLogin) -> Path:
    path = login_path()
    path.write_text(f"url={login.url}\nusername={login.username}\npassword={login.password}\n")
    path.chmod(0o600)
    return path


def read_login() -> DemoLogin | None:
    """The saved login, or None when there is none (the demo was never built here)."""
    path = login_path()
    if not path.exists():
        return None
    fields = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    try:
        return DemoLogin(fields["url"], fields["username"], fields["password"])
    except KeyError:
        return None
