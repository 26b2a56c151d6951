"""recoup serve: the web app behind waitress, static files through whitenoise."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from recoup.ops.startup import start_refusal


def proxy_options(trusted_proxy: str) -> dict:
    """Waitress's options to take the client's address and scheme from the reverse proxy at ``trusted_proxy``
    (its X-Forwarded-For and X-Forwarded-Proto); none when no proxy is trusted."""
    if not trusted_proxy:
        return {}
    return {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}}


def create_server(host: str, port: int, threads: int = 8):
    """Bind the socket now, so the caller can announce a URL that already answers."""
    from django.conf import settings
    from waitress import create_server as waitress_server

    from recoup.wsgi import application

    try:
        return waitress_server(application, host=host, port=port, threads=threads, ident="Recoup",
                               **proxy_options(settings.RECOUP_TRUSTED_PROXY))
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class Command(BaseCommand):
    help = ("Serve Recoup over HTTP with waitress (run collectstatic first, or let `recoup run` do it). Refuses to "
            "start on a database whose schema does not match the code, or a bad RECOUP_BASE_URL.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")

    def handle(self, *args, **opts):
        refusal = start_refusal()
        if refusal:
            raise CommandError(f"not starting: {refusal}")
        server = create_server(opts["host"], opts["port"], opts["threads"])
        self.stdout.write(f"Serving on http://{opts['host']}:{server.effective_port}")
        self.stdout.flush()
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
