"""Django settings for Recoup, all read from the environment.

RECOUP_DATABASE_URL  database (default: SQLite file under var/)
RECOUP_SECRET_KEY    secret key (default: generated once into var/secret_key)
RECOUP_EMAIL_URL     outgoing mail, e.g. smtp://user:pass@host:587?tls=1 (default file://: var/mail/)
RECOUP_INBOUND_*     replies by e-mail: ESP (mailgun|postmark), WEBHOOK_SECRET, SIGNING_KEY, DOMAIN
RECOUP_SMS_URL       text messages: console://, file://[DIR] (default) or twilio://SID:TOKEN@FROM[?base=URL]
RECOUP_DEBUG         debug mode, off unless asked
RECOUP_ALLOWED_HOSTS comma-separated host names
RECOUP_VAR_DIR       where the SQLite file, secret and uploads live
RECOUP_BASE_URL      the address debtors reach this server at, for portal links (default http://127.0.0.1:8000)
RECOUP_HTTPS         served over HTTPS: secure cookies, HSTS, redirect http to https (default off)
RECOUP_PROXY_SSL     trust X-Forwarded-Proto: https from a reverse proxy (default off)
RECOUP_TRUSTED_PROXY the reverse proxy's address (e.g. 127.0.0.1): `recoup serve` takes the client's address from its X-Forwarded-For
RECOUP_SESSION_HOURS a login lasts this long, and ends when the browser closes (default 12)
RECOUP_LOGIN_ATTEMPTS / RECOUP_LOGIN_COOLOFF_MINUTES  failed logins before a lock-out (5), and for how long (15)
RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS  failed logins from one address, over all usernames, before it is locked out (20)
RECOUP_CSP           the Content-Security-Policy header (default: recoup.accounts.middleware.DEFAULT_POLICY)
RECOUP_BACKUP_DIR    where the daily backup goes (default var/backups); RECOUP_BACKUP_KEEP: how many (14)
RECOUP_WEBHOOKS_ALLOW_PRIVATE  let webhook endpoints be loopback, private or link-local addresses (default off)
RECOUP_AUDIT_KEY_FILE  the key signing the audit chain's checkpoints (default var/audit-signing-key.pem)
RECOUP_AUDIT_CHECKPOINT_FILE  where checkpoints are appended (default var/audit-checkpoints.jsonl)
RECOUP_AUDIT_TRUSTED_KEYS  comma-separated public keys (hex) of older checkpoint keys still trusted
RECOUP_STATEMENT_MAX_UPLOAD_MB / _UNZIPPED_MB / _FILES / _LINES  bank statement upload limits (20, 50, 100, 50000)
RECOUP_IMPORT_MAX_BYTES / RECOUP_IMPORT_MAX_ROWS / RECOUP_IMPORT_MAX_ERRORS  one CSV import: the largest file
                     (20000000 bytes), the most rows (100000) and errors listed (500)
RECOUP_UPLOAD_MAX_AGE_HOURS  an upload waiting for confirmation longer than this is removed (24)
RECOUP_XERO_* / RECOUP_QUICKBOOKS_* / RECOUP_STRIPE_BILLING_*  connections to the books (docs/connections.md):
                     CLIENT_ID, CLIENT_SECRET, WEBHOOK_KEY, URL (one base URL for every endpoint: a local fake)
RECOUP_CONNECTIONS_KEY  Fernet key(s) for the tokens (default: generated once into var/connections.key)
RECOUP_BACKUP_JSON   back the database up as JSON, to restore into the other engine (default off)
RECOUP_API_RATE_LIMIT API requests per token per minute (300)
RECOUP_BACKUP_S3_*   off-site copies: BUCKET (unset: off), PREFIX, ENDPOINT, REGION, ACCESS_KEY, SECRET_KEY
RECOUP_METRICS_TOKEN the bearer token /metrics asks for (unset: /metrics answers 404)
RECOUP_HEARTBEAT_SECONDS / RECOUP_CYCLE_GRACE_MINUTES / RECOUP_OUTBOX_STUCK_MINUTES  what /readyz calls late
RECOUP_SCHEDULER_INTERVAL seconds between the scheduler's passes (60)
RECOUP_INSIGHT_INLINE_INVOICES  a page computes missing insight figures itself up to this many invoices in
                     the currency (20000); above, a worker computes them and the page says so
RECOUP_CYCLE_PART_SIZE  a day with more customers to look at is split into parts of this many, run by the
                     workers (2000; 0: never split)
RECOUP_CYCLE_PART_STALE_SECONDS  a claimed part with no progress for this long is taken again (300)
RECOUP_DELIVERY_BATCH  messages one delivery task sends before handing the rest to other workers (200)
RECOUP_EINVOICE_MAX_FILES / _MAX_FILE_BYTES / _MAX_TOTAL_BYTES  one e-invoice import: the most files (50),
                     bytes of one file or of the XML a PDF carries unpacked (10000000), all files (50000000)
The full table, with defaults: docs/deploy.md.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from recoup.lib.env import envbool, envhexlist, envint, envstr
from recoup.lib.mailurl import parse_email_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(envstr("RECOUP_VAR_DIR", str(BASE_DIR.parent / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = envstr("RECOUP_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("RECOUP_DEBUG", "false")
ALLOWED_HOSTS = [h for h in envstr("RECOUP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    # django-ninja's templates and static files: the API docs (Swagger UI) are served from here, not a CDN,
    # and start from a static script, so the Content-Security-Policy lets them run.
    "ninja",
    "recoup.orgs",
    "recoup.audit",
    "recoup.ledger",
    "recoup.reports",
    "recoup.web",
    "recoup.messaging",
    "recoup.collections",
    "recoup.compliance",
    "recoup.banking",
    "recoup.arrangements",
    "recoup.portal",
    "recoup.insight",
    "recoup.payments",
    "recoup.connections",
    "recoup.escalation",
    "recoup.api",
    "recoup.accounts",
    "recoup.ops",
]

MIDDLEWARE = [
    # First: /healthz, /readyz and /metrics answer before host checks, HTTPS redirects and sessions.
    "recoup.ops.middleware.HealthEndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After CSRF, so a forged POST is refused by CSRF first; before any view reads a parameter.
    "recoup.accounts.middleware.RefuseNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "recoup.accounts.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "recoup.urls"
WSGI_APPLICATION = "recoup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recoup.orgs.context.current_org",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("RECOUP_DATABASE_URL", f"sqlite:///{VAR_DIR / 'recoup.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the worker write while the web app reads; a busy timeout avoids
    # "database is locked" when both write at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins per username and address; the throttling backend refuses a
# locked-out pair before the password is checked (recoup/accounts/backends.py). One address is
# also locked out, for every username, after RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS failures across
# usernames (recoup/accounts/throttle.py): no spraying one password over many users.
AUTHENTICATION_BACKENDS = [
    "recoup.accounts.backends.ThrottledBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("RECOUP_LOGIN_ATTEMPTS", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("RECOUP_LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "recoup.accounts.throttle.AddressCappedHandler"
RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS = envint("RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS", "20")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Recoup"
# A login lasts RECOUP_SESSION_HOURS and ends when the browser closes.
SESSION_COOKIE_AGE = envint("RECOUP_SESSION_HOURS", "12") * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns on every request when STATIC_ROOT is missing (before collectstatic).
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind HTTPS (RECOUP_HTTPS=1): cookies only over TLS, http redirected, HSTS for a year.
HTTPS = envbool("RECOUP_HTTPS", "false")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if envbool("RECOUP_PROXY_SSL", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxy `recoup serve` believes about the client's address (login throttling counts per address).
RECOUP_TRUSTED_PROXY = envstr("RECOUP_TRUSTED_PROXY", "")
# API requests per token per minute (recoup.api.auth).
RECOUP_API_RATE_LIMIT = envint("RECOUP_API_RATE_LIMIT", "300")
# The content security policy (recoup.accounts.middleware); empty: the built-in one.
RECOUP_CSP = envstr("RECOUP_CSP", "")
# Daily backups (recoup.ops): where, and how many to keep.
RECOUP_BACKUP_DIR = Path(envstr("RECOUP_BACKUP_DIR", str(VAR_DIR / "backups")))
RECOUP_BACKUP_KEEP = envint("RECOUP_BACKUP_KEEP", "14")
# The audit chain's checkpoints (recoup.audit.checkpoints, docs/trust.md): the signing key and the
# checkpoint file live outside the database; point them off the database's machine where it can.
RECOUP_AUDIT_KEY_FILE = Path(envstr("RECOUP_AUDIT_KEY_FILE", str(VAR_DIR / "audit-signing-key.pem")))
RECOUP_AUDIT_CHECKPOINT_FILE = Path(envstr("RECOUP_AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl")))
RECOUP_AUDIT_TRUSTED_KEYS = envhexlist("RECOUP_AUDIT_TRUSTED_KEYS", length=64)

# Bank statement uploads (docs/banking.md): the uploaded file, a zip's files unpacked together,
# the files of a zip, and the statement lines of one upload (web page, command and API alike).
RECOUP_STATEMENT_MAX_UPLOAD_MB = envint("RECOUP_STATEMENT_MAX_UPLOAD_MB", "20")
RECOUP_STATEMENT_MAX_UNZIPPED_MB = envint("RECOUP_STATEMENT_MAX_UNZIPPED_MB", "50")
RECOUP_STATEMENT_MAX_FILES = envint("RECOUP_STATEMENT_MAX_FILES", "100")
RECOUP_STATEMENT_MAX_LINES = envint("RECOUP_STATEMENT_MAX_LINES", "50000")

# CSV imports (recoup.ledger.imports): read as a stream and refused past these limits;
# the web import also stops receiving an upload at the byte limit.
RECOUP_IMPORT_MAX_BYTES = envint("RECOUP_IMPORT_MAX_BYTES", "20000000")
RECOUP_IMPORT_MAX_ROWS = envint("RECOUP_IMPORT_MAX_ROWS", "100000")
RECOUP_IMPORT_MAX_ERRORS = envint("RECOUP_IMPORT_MAX_ERRORS", "500")
RECOUP_UPLOAD_MAX_AGE_HOURS = envint("RECOUP_UPLOAD_MAX_AGE_HOURS", "24")

# Back the database up as JSON (restores into either engine: the way from SQLite to PostgreSQL).
RECOUP_BACKUP_JSON = envbool("RECOUP_BACKUP_JSON", "false")
# Off-site copies of the backups in S3-compatible storage (recoup.ops.offsite); no bucket: off.
RECOUP_BACKUP_S3_BUCKET = envstr("RECOUP_BACKUP_S3_BUCKET", "")
RECOUP_BACKUP_S3_PREFIX = envstr("RECOUP_BACKUP_S3_PREFIX", "recoup/")
RECOUP_BACKUP_S3_ENDPOINT = envstr("RECOUP_BACKUP_S3_ENDPOINT", "")
RECOUP_BACKUP_S3_REGION = envstr("RECOUP_BACKUP_S3_REGION", "")
RECOUP_BACKUP_S3_ACCESS_KEY = envstr("RECOUP_BACKUP_S3_ACCESS_KEY", "")
RECOUP_BACKUP_S3_SECRET_KEY = envstr("RECOUP_BACKUP_S3_SECRET_KEY", "")
# Health (recoup.ops): the token /metrics asks for, and what /readyz calls late.
RECOUP_METRICS_TOKEN = envstr("RECOUP_METRICS_TOKEN", "")
RECOUP_HEARTBEAT_SECONDS = envint("RECOUP_HEARTBEAT_SECONDS", "10")
RECOUP_CYCLE_GRACE_MINUTES = envint("RECOUP_CYCLE_GRACE_MINUTES", "60")
RECOUP_OUTBOX_STUCK_MINUTES = envint("RECOUP_OUTBOX_STUCK_MINUTES", "30")
RECOUP_SCHEDULER_INTERVAL = envint("RECOUP_SCHEDULER_INTERVAL", "60")
# Insight figures of a day nobody computed: inline up to this many invoices in the currency, else by a worker.
RECOUP_INSIGHT_INLINE_INVOICES = envint("RECOUP_INSIGHT_INLINE_INVOICES", "20000")
# Work spread over workers (recoup/collections/cycle_parts.py, recoup/messaging/tasks.py).
RECOUP_CYCLE_PART_SIZE = envint("RECOUP_CYCLE_PART_SIZE", "2000")
RECOUP_CYCLE_PART_STALE_SECONDS = envint("RECOUP_CYCLE_PART_STALE_SECONDS", "300")
RECOUP_DELIVERY_BATCH = envint("RECOUP_DELIVERY_BATCH", "200")

# E-invoice imports (docs/import-formats.md): files in one upload or command, bytes of one file (and of
# the XML a PDF carries, once unpacked), bytes of all files together; the web import stops receiving a
# file at its cap.
RECOUP_EINVOICE_MAX_FILES = envint("RECOUP_EINVOICE_MAX_FILES", "50")
RECOUP_EINVOICE_MAX_FILE_BYTES = envint("RECOUP_EINVOICE_MAX_FILE_BYTES", "10000000")
RECOUP_EINVOICE_MAX_TOTAL_BYTES = envint("RECOUP_EINVOICE_MAX_TOTAL_BYTES", "50000000")

# Until an SMTP server is configured, mail is written to files under var/mail/: a fresh
# install (and the demo) never e-mails anyone by accident, and nothing floods the terminal.
_email = parse_email_url(envstr("RECOUP_EMAIL_URL", "file://"))
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_FILE_PATH = _email.file_path or str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = envstr("RECOUP_DEFAULT_FROM_EMAIL", "recoup@localhost")

# Replies (docs/collections.md): which provider posts inbound mail to /hooks/email/inbound/,
# the user:password in that webhook URL, Mailgun's signing key, and the domain whose
# reply+TOKEN@ addresses reach the webhook (unset: Reply-To is the organization's address).
RECOUP_BASE_URL = envstr("RECOUP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Webhooks (docs/api.md) go only to public addresses unless the install says otherwise: a self-hoster
# whose receiver is on the same machine or network may turn this on; an owner cannot.
RECOUP_WEBHOOKS_ALLOW_PRIVATE = envbool("RECOUP_WEBHOOKS_ALLOW_PRIVATE")
RECOUP_INBOUND_ESP = envstr("RECOUP_INBOUND_ESP", "")
RECOUP_INBOUND_WEBHOOK_SECRET = envstr("RECOUP_INBOUND_WEBHOOK_SECRET", "")
RECOUP_INBOUND_SIGNING_KEY = envstr("RECOUP_INBOUND_SIGNING_KEY", "")
RECOUP_INBOUND_DOMAIN = envstr("RECOUP_INBOUND_DOMAIN", "")

# Connections to the books: the app registered with each provider, its webhook key, and URL to
# point every endpoint at a local fake (`recoup fake-xero --port N`); see docs/connections.md.
def _book(client_id: str, client_secret: str, webhook_key: str, url: str) -> dict[str, str]:
    return {"client_id": client_id, "client_secret": client_secret, "webhook_key": webhook_key, "url": url.rstrip("/")}


RECOUP_BOOKS = {
    "xero": _book(envstr("RECOUP_XERO_CLIENT_ID", ""), envstr("RECOUP_XERO_CLIENT_SECRET", ""),
                  envstr("RECOUP_XERO_WEBHOOK_KEY", ""), envstr("RECOUP_XERO_URL", "")),
    "quickbooks": _book(envstr("RECOUP_QUICKBOOKS_CLIENT_ID", ""), envstr("RECOUP_QUICKBOOKS_CLIENT_SECRET", ""),
                        envstr("RECOUP_QUICKBOOKS_WEBHOOK_KEY", ""), envstr("RECOUP_QUICKBOOKS_URL", "")),
    "stripe_billing": _book(envstr("RECOUP_STRIPE_BILLING_CLIENT_ID", ""),
                            envstr("RECOUP_STRIPE_BILLING_CLIENT_SECRET", ""),
                            envstr("RECOUP_STRIPE_BILLING_WEBHOOK_KEY", ""), envstr("RECOUP_STRIPE_BILLING_URL", "")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"ordinary_refusals": {"()": "recoup.lib.log_filters.OrdinaryRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # A 403 or 404 is one warning line with its reason, not a traceback (server errors keep theirs).
    "loggers": {"django.request": {"filters": ["ordinary_refusals"]}},
}
