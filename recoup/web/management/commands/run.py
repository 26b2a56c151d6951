"""recoup run: what `make run` starts: set up, load the demo if empty, serve, and work in the background."""

from __future__ import annotations

import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from recoup.demo.login import read_login
from recoup.orgs.models import Organization
from recoup.web.management.commands.serve import create_server

# Long-running helpers started next to the web server, each a `recoup` verb.
CHILDREN: list[list[str]] = [["worker", "--verbosity", "0"], ["scheduler"]]


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Migrate, load the demo into an empty database, start the worker and serve on 127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty database")

    def handle(self, *args, **opts):
        url = f"http://{opts['host']}:{opts['port']}"
        call_command("migrate", interactive=False, verbosity=0)
        if not opts["no_demo"] and not Organization.objects.exists():
            self.stdout.write("First start: building the demo business, two years of invoices and a year of "
                              "collections (a minute or two)...")
            self.stdout.flush()
            call_command("demo", if_empty=True, url=url, verbosity=0, stdout=self.stdout)
        call_command("collectstatic", interactive=False, verbosity=0)
        server = create_server(opts["host"], opts["port"])
        children = [] if opts["no_worker"] else [
            subprocess.Popen([sys.executable, "-m", "recoup.cli", *argv]) for argv in CHILDREN
        ]
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        login = read_login()
        who = f" — log in as {login.username} / {login.password}" if login else ""
        self.stdout.write(f"Recoup is running at {url}{who}\n(Ctrl-C stops it.)")
        self.stdout.flush()
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            _stop(children)
            self.stdout.write("Recoup stopped.")


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
