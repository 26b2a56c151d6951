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
RECOUP_SESSION_HOURS a login lasts this long, and ends when the browser closes (default 12)
RECOUP_LOGIN_ATTEMPTS / RECOUP_LOGIN_COOLOFF_MINUTES  failed logins before a lock-out (5), and for how long (15)
RECOUP_LOGIN_ATTEMPTS_PER_ADDRESS  failed logins from one address, over all usernames, before it is locked out (20)
RECOUP_CSP           the Content-Security-Policy header (default: recoup.accounts.middleware.DEFAULT_POLICY)
RECOUP_BACKUP_DIR    where the daily backup goes (default var/backups); RECOUP_BACKUP_KEEP: how many (14)
RECOUP_WEBHOOKS_ALLOW_PRIVATE  let webhook endpoints be loopback, private or link-local addresses (default off)
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from recoup.lib.env import envbool, envint, envstr
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
# The content security policy (recoup.accounts.middleware); empty: the built-in one.
RECOUP_CSP = envstr("RECOUP_CSP", "")
# Daily backups (recoup.ops): where, and how many to keep.
RECOUP_BACKUP_DIR = Path(envstr("RECOUP_BACKUP_DIR", str(VAR_DIR / "backups")))
RECOUP_BACKUP_KEEP = envint("RECOUP_BACKUP_KEEP", "14")

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"ordinary_refusals": {"()": "recoup.lib.log_filters.OrdinaryRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # A 403 or 404 is one warning line with its reason, not a traceback (server errors keep theirs).
    "loggers": {"django.request": {"filters": ["ordinary_refusals"]}},
}
