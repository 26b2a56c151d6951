"""The ``recoup`` command: Django's management commands under one name."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoup.settings")
    from django.core.management import execute_from_command_line

    from recoup.lib.clock import install_from_env
    from recoup.lib.env import ConfigError

    try:
        install_from_env()  # RECOUP_CLOCK_FILE, a testing aid (docs/deploy.md)
    except ConfigError as exc:
        sys.exit(f"recoup: {exc}")
    execute_from_command_line(["recoup", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
