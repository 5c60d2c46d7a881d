"""Settings for the platform: one module, driven by environment variables.

DATABASE_URL   database (default: SQLite file in the data folder)
DPF_DATA_DIR   data folder for the SQLite file, secrets, uploads (default: ./data)
DPF_DEBUG      "1" for development error pages
DPF_DEMO       "1" when the database holds synthetic demo data only
DPF_ROOT_REGION the region code the installation serves (default 150400, Chifeng City)
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from dpf.core.secrets import load_secrets

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DPF_DATA_DIR", BASE_DIR / "data")).resolve()

# A production start (DPF_PRODUCTION=1, set by the units in deploy/) refuses to run with the
# debug pages or demo data on, without HTTPS, or without its keys: load_secrets would
# otherwise generate fresh keys, and every encrypted field would be unreadable
# (tests/production/test_settings.py).
DPF_PRODUCTION = os.environ.get("DPF_PRODUCTION", "0") == "1"
if DPF_PRODUCTION:
    _refusals = []
    if os.environ.get("DPF_DEBUG", "0") == "1":
        _refusals.append("DPF_DEBUG=1: 生产环境不得开启调试页面 / debug pages must be off")
    if os.environ.get("DPF_DEMO", "0") == "1":
        _refusals.append("DPF_DEMO=1: 生产环境不得使用演示数据 / no demo data in production")
    if os.environ.get("DPF_HTTPS", "0") != "1":
        _refusals.append(
            "DPF_HTTPS must be 1: 生产环境须经 HTTPS 访问 / production is served over HTTPS"
        )
    _key_env = ("DPF_SECRET_KEY", "DPF_FIELD_KEYS", "DPF_HASH_KEY")
    _keys_in_env = [name for name in _key_env if os.environ.get(name)]
    if _keys_in_env and len(_keys_in_env) < len(_key_env):
        _missing = ", ".join(name for name in _key_env if name not in _keys_in_env)
        _refusals.append(f"{_missing}: 密钥不全 / key missing")
    elif not _keys_in_env and not (DATA_DIR / "secrets.json").exists():
        _refusals.append(
            f"{DATA_DIR / 'secrets.json'}: 找不到密钥（环境变量或密钥文件）/ "
            "keys not found (environment or secrets file); new keys are never generated here"
        )
    if _refusals:
        raise ImproperlyConfigured(
            "生产环境配置有误，拒绝启动 / production configuration refused:\n  "
            + "\n  ".join(_refusals)
        )

_secrets = load_secrets(DATA_DIR)
SECRET_KEY = _secrets["secret_key"]
DPF_FIELD_KEYS: dict[str, str] = _secrets["field_keys"]
DPF_FIELD_KEY_CURRENT: str = _secrets["field_key_current"]
DPF_HASH_KEY: str = _secrets["hash_key"]

DEBUG = os.environ.get("DPF_DEBUG", "0") == "1"
DPF_DEMO = os.environ.get("DPF_DEMO", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DPF_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "dpf.core",
    "dpf.accounts",
    "dpf.registry",
    "dpf.rules",
    "dpf.benefits",
    "dpf.workflow",
    "dpf.services",
    "dpf.employment",
    "dpf.social",
    "dpf.indicators",
    "dpf.portal",
    "dpf.exchange",
    "ninja",
    "dpf.demo",
    "django_q",
    "dpf.jobs",
    "dpf.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from STATIC_ROOT without a separate server (docs/deploy.md).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dpf.core.middleware.SessionIdleMiddleware",
    "dpf.core.middleware.DisplayPreferencesMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dpf.core.middleware.DeniedAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An account opened or reset by an administrator changes its password first.
    "dpf.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dpf.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",  # last, per django-axes
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dpf" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dpf.core.context_processors.display",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'dpf.sqlite3'}"
# Connections are kept for a minute and checked before a request reuses one, so a database
# restarted (or a session ended) between requests costs a reconnect, not a 500
# (tests/faults/test_connection_loss.py).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The fact tables' covering indexes (INCLUDE columns) are for PostgreSQL; SQLite keeps
    # the key columns, which is what its query plans use. Said once here, not on every run.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"  # each role's start page (dpf.core.views.home)
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "dpf" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves STATIC_ROOT, which `dpf collectstatic` fills (./run demo, docs/deploy.md);
# before that (tests, a fresh checkout) it is absent, which is no fault worth a warning.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
STATICFILES_DIRS = [BASE_DIR / "dpf" / "static"]  # base layout CSS/JS
MEDIA_ROOT = DATA_DIR / "uploads"  # outside the web root; served only through views
# Signed checkpoints of the audit chain's head, appended by `dpf audit verify` outside the
# database (docs/security.md, "Audit log"); put it where the database's writers cannot.
DPF_AUDIT_CHECKPOINTS = Path(
    os.environ.get("DPF_AUDIT_CHECKPOINTS", DATA_DIR / "audit-checkpoints.log")
)
# The monthly audit retention job (core.audit_retention) deletes entries older than this
# many days; never fewer than 183 (six months, the Cybersecurity Law's minimum).
DPF_AUDIT_KEEP_DAYS = int(os.environ.get("DPF_AUDIT_KEEP_DAYS", 1095))

# Roster imports (docs/security.md, "Roster files"): the upload's size, what an .xlsx may
# unpack to, rows per file (sized for Chifeng's largest roster: ~200,000 certified persons);
# validation runs in a detached `dpf exchange validate` process ("process"), or waits for
# that command to be run ("manual").
DPF_IMPORT_MAX_BYTES = int(os.environ.get("DPF_IMPORT_MAX_BYTES", 20 * 1024 * 1024))
DPF_IMPORT_MAX_UNPACKED_BYTES = int(
    os.environ.get("DPF_IMPORT_MAX_UNPACKED_BYTES", 256 * 1024 * 1024)
)
DPF_IMPORT_MAX_ROWS = int(os.environ.get("DPF_IMPORT_MAX_ROWS", 300_000))
DPF_IMPORT_WORKER = os.environ.get("DPF_IMPORT_WORKER", "queue")

# Background jobs and schedules (dpf.jobs on django-q2, its queue in this database; the
# worker is `dpf worker`). "immediate" runs a job in the starting process through
# django-q2's synchronous mode (tests). A job runs at most DPF_JOB_TIMEOUT seconds; one
# whose worker died is taken again DPF_JOB_RETRY seconds after it was taken (> timeout, so
# a job still running is never taken twice).
DPF_JOBS_RUN = os.environ.get("DPF_JOBS_RUN", "worker")
_job_timeout = int(os.environ.get("DPF_JOB_TIMEOUT", 4 * 3600))
Q_CLUSTER = {
    "name": "dpf",
    "orm": "default",
    "workers": int(os.environ.get("DPF_WORKERS", 2)),
    "timeout": _job_timeout,
    "retry": int(os.environ.get("DPF_JOB_RETRY", _job_timeout + 600)),
    "max_attempts": 5,
    "ack_failures": True,
    "catch_up": False,
    "poll": float(os.environ.get("DPF_JOB_POLL", 1)),
    "save_limit": 1000,
    "label": "Jobs",
}
# The nightly backup (dpf.jobs kind ``core.backup``, docs/deploy.md §5): the folder it writes
# to, and how long its files are kept there (every file of the last KEEP_DAYS days, and the
# last file of each of the last KEEP_MONTHS months); copy the folder off the server daily.
DPF_BACKUP_DIR = Path(os.environ.get("DPF_BACKUP_DIR", DATA_DIR / "backups")).resolve()
DPF_BACKUP_KEEP_DAYS = int(os.environ.get("DPF_BACKUP_KEEP_DAYS", 30))
DPF_BACKUP_KEEP_MONTHS = int(os.environ.get("DPF_BACKUP_KEEP_MONTHS", 12))
# /health/: the worker counts as alive when its heartbeat (every minute) is this recent;
# the data folder's disk must keep this much free.
DPF_HEALTH_WORKER_SECONDS = int(os.environ.get("DPF_HEALTH_WORKER_SECONDS", 180))
DPF_HEALTH_MIN_FREE_BYTES = int(os.environ.get("DPF_HEALTH_MIN_FREE_BYTES", 512 * 1024 * 1024))
# Uploads the platform accepts (rosters, documents) stay in memory until they are written
# encrypted; Django spools only a larger body, refused anyway, to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = DPF_IMPORT_MAX_BYTES + 1024 * 1024
# Indicator counts from 1 to this minus one are suppressed for audiences not entitled to the
# persons behind them (dpf.indicators.disclosure; a system check refuses values below 2).
DPF_SMALL_CELL_THRESHOLD = int(os.environ.get("DPF_SMALL_CELL_THRESHOLD", 5))
# The region the installation serves, the root of every figure and pick list (GB/T 2260):
# Chifeng City by default; another city's or a province's code runs the platform there
# (dpf.core.regions.root_code / root_prefix / counties).
DPF_ROOT_REGION = os.environ.get("DPF_ROOT_REGION", "150400")

SESSION_COOKIE_AGE = 30 * 60
# Idle expiry: a request extends the session by 30 minutes, written at most once a minute
# (dpf.core.middleware.SessionIdleMiddleware) instead of on every request.
SESSION_SAVE_EVERY_REQUEST = False
DPF_SESSION_TOUCH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and os.environ.get("DPF_HTTPS", "0") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    # Behind the reverse proxy (deploy/nginx-dpf.conf), which sets X-Forwarded-Proto on every
    # request it passes; gunicorn listens on loopback only, so no client can set it itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The monitor asks the server itself over plain HTTP on loopback.
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]

# Login hardening (docs/security.md): lock-out by user name and address after 5 failures
# for 30 minutes (django-axes); TOTP second factor per role (dpf.accounts.otp).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "dpf.accounts.backends.AccountBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Chifeng DPF"

# Every log record is redacted as it is made (``LOGGING_CONFIG``), and every handler
# carries the filter besides. Django's own defaults are replaced: its debug console
# handler and runserver's access log (``django.server``, which prints each request line
# with its query string) had no filter.
LOGGING_CONFIG = "dpf.core.logging.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "dpf.core.logging.RedactPersonalData"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DPF_LOG_LEVEL", "WARNING")},
}
