"""The production setup of docs/deploy.md, run on this machine: processes from the shipped units, nginx from the
shipped site, a supervisor that restarts what dies (as systemd's Restart=always does), and an HTTPS client."""

from __future__ import annotations

import http.client
import os
import re
import signal
import ssl
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy_setup import DEPLOY, ROOT, Unit

RESTART_SEC = 2.0  # the units' RestartSec


@dataclass
class Proc:
    """One process started from a unit's ExecStart with the unit's environment."""

    name: str
    kind: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None
    died_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        self.died_at = None

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        if self.alive:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> int | None:
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        return None if self.popen is None else self.popen.returncode


def unit_env(unit: Unit, settings: dict[str, str], var_dir: Path) -> dict[str, str]:
    """What systemd gives the unit: its EnvironmentFile, then its Environment= lines (paths made local)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **settings}
    env.update({k: v.replace("/var/lib/recoup", str(var_dir)) for k, v in unit.environment.items()})
    # This checkout's code, also where the venv's editable install points at another checkout (a worktree).
    env["PYTHONPATH"] = str(ROOT)
    return env


@dataclass
class Supervisor:
    """Restarts a dead process RESTART_SEC after it died, like systemd's Restart=always."""

    procs: list[Proc]
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            for proc in self.procs:
                if proc.popen is None or proc.alive:
                    continue
                if proc.died_at is None:
                    proc.died_at = now
                elif now - proc.died_at >= RESTART_SEC:
                    proc.restarts += 1
                    proc.start()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def self_signed_cert(folder: Path, host: str) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def nginx_config(folder: Path, *, web_ports: list[int], http_port: int, https_port: int, cert: Path,
                 key: Path) -> Path:
    """The shipped site with this machine's ports and certificate, in a minimal nginx.conf of the test's own."""
    site = (DEPLOY / "nginx" / "recoup.conf").read_text()
    # One upstream line per web process (the shipped site has two: 8001 and 8002).
    servers = re.findall(r"^\s*server 127\.0\.0\.1:800\d .*$", site, flags=re.M)
    lines = "\n".join(servers[0].replace("127.0.0.1:8001", f"127.0.0.1:{port}") for port in web_ports)
    site = site.replace("\n".join(servers), lines)
    site = re.sub(r"^\s*listen \[::\]:.*$", "", site, flags=re.M)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    site = site.replace("/var/www/letsencrypt", str(folder))
    (folder / "recoup.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = " ".join(f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = folder / "nginx.conf"
    conf.write_text(f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
                    f"error_log {folder / 'nginx-error.log'} warn;\nevents {{ worker_connections 2048; }}\n"
                    f"http {{ access_log {folder / 'nginx-access.log'}; {temp}\n"
                    f"  include {folder / 'recoup.conf'}; }}\n")
    return conf


class Client:
    """HTTPS through the proxy, with the site's Host header and a cookie jar (http.client: no redirects)."""

    def __init__(self, port: int, host: str, cafile: Path):
        self.port, self.host = port, host
        self.context = ssl.create_default_context(cafile=str(cafile))
        self.context.check_hostname = False  # connects to 127.0.0.1; the chain is still verified
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, data: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=60)
        try:
            hdrs = {"Host": f"{self.host}:{self.port}", **(headers or {})}
            if self.cookies:
                hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if data is not None:
                body = urllib.parse.urlencode(data)
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=hdrs)
            response = conn.getresponse()
            content = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, dict(response.headers), content
        finally:
            conn.close()

    def log_in(self, username: str, password: str) -> int:
        status, _, form = self.request("GET", "/accounts/login/")
        assert status == 200, form[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        status, headers, _ = self.request(
            "POST", "/accounts/login/", data={"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"Referer": f"https://{self.host}:{self.port}/accounts/login/"})
        return status
