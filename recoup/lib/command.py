"""A small base for Recoup's management commands.

``OrgCommand`` adds ``--org SLUG`` (optional while exactly one organization
exists) and, when ``formats`` is set, ``--format``; ``self.report(...)``
prints rows as a table (rich), JSON or CSV. ``progress(...)`` wraps long
loops in a progress bar on a terminal and stays silent when stderr is piped.

    class Command(OrgCommand):
        formats = ("table", "json", "csv")

        def add_arguments(self, parser):
            super().add_arguments(parser)
            parser.add_argument("--as-of", type=parse_date)

        def handle(self, *args, **options):
            org = self.org(options)
            self.report(options["format"], headers=[...], rows=[...], data={...})
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Callable, TypeVar
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from recoup.lib.spreadsheet import csv_text

T = TypeVar("T")


def parse_date(text: str) -> date:
    """argparse ``type=`` for ISO 8601 dates (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def parse_now(text: str) -> datetime:
    """argparse ``type=`` for ``--now``: an ISO 8601 date-time; without an offset, in the server's time zone."""
    from django.utils import timezone

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date-time (use e.g. 2026-03-31T07:00:00+01:00)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.get_default_timezone())


def add_now_argument(parser: argparse.ArgumentParser, help: str = "the time to act as of (default: the clock)") -> None:
    """``--now ISO-DATETIME``: the clock a command runs by; read it back with ``command_now``."""
    parser.add_argument("--now", type=parse_now, metavar="ISO-DATETIME", help=help)


def command_now(options: dict[str, Any]) -> datetime:
    """``--now`` when given, else the clock: the one place a command reads it."""
    from django.utils import timezone

    return options.get("now") or timezone.now()


def command_clock(options: dict[str, Any]) -> Callable[[], datetime]:
    """For work that reads the time at each step (claims, signatures): ``--now`` frozen when given,
    else the clock itself."""
    from django.utils import timezone

    fixed = options.get("now")
    return (lambda: fixed) if fixed else timezone.now


def resolve_org(slug: str | None):
    """The organization named by ``slug``, or the only one when ``slug`` is None.

    Raises: CommandError naming the known slugs when it is unknown or ambiguous.
    """
    from recoup.orgs.models import Organization

    if slug:
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            known = ", ".join(Organization.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"no organization {slug!r} (known: {known})")
        return org
    slugs = list(Organization.objects.order_by("slug").values_list("slug", flat=True)[:50])
    if not slugs:
        raise CommandError("no organization yet: create one with `recoup org create SLUG ...`")
    if len(slugs) > 1:
        raise CommandError(f"several organizations exist; choose one with --org ({', '.join(slugs)})")
    return Organization.objects.get(slug=slugs[0])


def org_today(org, now: datetime) -> date:
    """Today's date in the organization's time zone."""
    return now.astimezone(ZoneInfo(org.timezone)).date()


def progress(iterable: Iterable[T], total: int | None = None, label: str = "Working") -> Iterator[T]:
    """Yield from ``iterable``, showing a rich progress bar only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield from iterable
        return
    from rich.console import Console
    from rich.progress import track

    yield from track(iterable, total=total, description=label, transient=True, console=Console(stderr=True))


class OrgCommand(BaseCommand):
    """A command working in one organization, with optional report formats."""

    formats: Sequence[str] = ()

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="organization (optional when only one exists)")
        if self.formats:
            parser.add_argument("--format", choices=self.formats, default=self.formats[0])

    def org(self, options: dict[str, Any]):
        return resolve_org(options.get("org"))

    def report(self, fmt: str, *, headers: Sequence[str], rows: Iterable[Sequence[Any]],
               data: Any = None, title: str | None = None, right: Sequence[str] = ()) -> None:
        """Print a report on stdout; see ``write_report``."""
        write_report(self.stdout, fmt, headers=headers, rows=rows, data=data, title=title, right=right)


def write_report(out, fmt: str, *, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                 data: Any = None, title: str | None = None, right: Sequence[str] = ()) -> None:
    """Write rows as a table or CSV, or ``data`` (default: rows as dicts) as JSON.

    ``out`` is a command's ``self.stdout``; ``right`` names the columns to
    right-align in a table (amounts).
    """
    rows = [[("" if v is None else str(v)) for v in row] for row in rows]
    if fmt == "json":
        payload = data if data is not None else [dict(zip(headers, r)) for r in rows]
        out.write(json.dumps(payload, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        out.write(csv_text(headers, rows, lineterminator="\n"), ending="")
    else:
        out.write(render_table(headers, rows, title=title, right=right), ending="")


def render_table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, title: str | None = None,
                 right: Sequence[str] = ()) -> str:
    """A rich table as text; as wide as the terminal, or 160 columns when piped."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for h in headers:
        table.add_column(h, justify="right" if h in right else "left", overflow="fold")
    for row in rows:
        table.add_row(*row)
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 160
    buf = io.StringIO()
    Console(file=buf, width=max(width, 80), color_system=None).print(table)
    return buf.getvalue()
