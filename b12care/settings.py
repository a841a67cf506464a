"""B12 Care settings: one module, driven by environment variables.

With nothing set, the app runs on SQLite and Celery's filesystem broker under ``var/`` so a
fresh checkout needs no server. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis,
as in production. Every variable is listed in README.md's configuration table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-b12care-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
# Previous keys after a rotation: sessions, reset links and MFA secrets made with them still work.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])


def _weak_secret_key(key: str) -> str | None:
    """Return why ``key`` is unfit for production, or None when it is fine."""
    if not key:
        return "SECRET_KEY is not set"
    if key.startswith("django-insecure"):
        return "SECRET_KEY is a development key (starts with 'django-insecure')"
    if len(key) < 50 or len(set(key)) < 5:
        return "SECRET_KEY is weak: use at least 50 random characters"
    return None


if DEBUG:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    problem = _weak_secret_key(SECRET_KEY)
    if problem:
        raise ImproperlyConfigured(
            f"{problem}. With DEBUG off B12 Care refuses to start. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))' and set SECRET_KEY."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is empty. With DEBUG off B12 Care refuses to start: set ALLOWED_HOSTS "
            "to the comma-separated host names the site is served on, e.g. care.example.org."
        )



def derive_site_url(environ: Mapping[str, str]) -> str:
    """``SITE_URL`` when set; otherwise where ``make run`` serves: http://127.0.0.1:$PORT (8000).
    ``make run`` pins the result for every process: honcho gives each its own PORT."""
    explicit = environ.get("SITE_URL", "").strip()
    if explicit:
        return explicit.rstrip("/")
    port = environ.get("PORT", "").strip() or "8000"
    if not port.isdigit():
        raise ImproperlyConfigured(f"PORT must be a number, not {port!r} (or set SITE_URL).")
    return f"http://127.0.0.1:{port}"


SITE_URL = derive_site_url(os.environ)  # .env has been read into os.environ above

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "simple_history",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "b12care.core",
    "b12care.accounts",
    "b12care.alerts",
    "b12care.clinic",
    "b12care.exports",
    "b12care.api",
    "injections",
    "symptoms",
    "labs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files: answered here, nothing below
    "b12care.accounts.audit.AuditContextMiddleware",  # request id, address for the audit log
    "csp.middleware.CSPMiddleware",
    "b12care.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "b12care.core.middleware.BoundedIdsMiddleware",  # /patients/10^23/ is 404, not an overflow
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After sign-in is known: end idle or too-old sessions, then hold staff without MFA at setup.
    "b12care.accounts.middleware.SessionLimitsMiddleware",
    "b12care.accounts.middleware.MfaRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "b12care.urls"
WSGI_APPLICATION = "b12care.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "b12care.core.context_processors.site",
                "b12care.accounts.context_processors.session_timeout",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite by default (a checkout runs with no server); PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'b12care.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the writer, and
    # IMMEDIATE transactions take the write lock up front instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles any query its planner thinks expensive: the dashboard's ranking
    # (a CASE of correlated counts over the team) took 680 ms, 610 of them compiling, instead
    # of 12 ms (docs/benchmarks.md). Short OLTP queries never win from JIT. PG_JIT: "off" sends
    # jit=off with each connection; "server" sends nothing (poolers such as PgBouncer refuse
    # startup options: set it with ALTER DATABASE … SET jit = off instead); "on" turns it on.
    PG_JIT = env.str("PG_JIT", default="off").strip().lower()
    if PG_JIT not in ("off", "on", "server"):
        raise ImproperlyConfigured(f"PG_JIT must be off, on or server, not {PG_JIT!r}.")
    if PG_JIT != "server":
        options = DATABASES["default"].setdefault("OPTIONS", {})
        given = options.get("options", "")  # e.g. from DATABASE_URL's ?options=…
        options["options"] = f"{given} -c jit={PG_JIT}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth (django-allauth, email login, no open sign-up) ---------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    # Clinicians and admins open many patients' records: a longer floor for them.
    {"NAME": "b12care.accounts.passwords.StaffMinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    # Django's bundled list of 20,000 common passwords: no network call.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "b12care.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Accounts are created by clinicians (invite) or admins, who vouch for the address, so every
# account starts with a verified one (accounts.receivers); a changed address must be verified
# with a code sent to it before it replaces the old one.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
# Email, password and MFA changes need the password (or an MFA code) entered in the last
# ACCOUNT_REAUTHENTICATION_TIMEOUT seconds; the old address is told of every change.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
# No "remember me": the cookie lasts as long as the browser, the server ends it sooner.
ACCOUNT_SESSION_REMEMBER = False
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# Throttling that cannot be turned against the account owner: failed sign-ins are counted per
# address and per (address, account) with growing windows (AccountAdapter puts the address
# into the per-account key), never per account alone, so guessing from one address does not
# lock the owner out from another. Numbers: docs/security.md.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,60/h/ip,5/5m/key,10/h/key,20/d/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "reauthenticate": "10/m/user,30/h/user",
    "manage_email": "10/m/user",
    "change_password": "5/m/user",
    "confirm_email": "1/10s/key",
}
# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (default) uses
# the socket address: right when nothing proxies, wrong behind one (every visitor would share
# the proxy's address and its limits). Never set it higher than the real number of proxies.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None

# --- Multi-factor authentication (allauth.mfa) ------------------------------------------------
# Authenticator apps (TOTP), security keys and passkeys (WebAuthn, as a second factor), and
# recovery codes. Passwordless passkey sign-in stays off: docs/security.md says why.
MFA_ADAPTER = "b12care.accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "B12 Care"
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side: phones' clocks drift
MFA_TRUST_ENABLED = False  # every sign-in asks for the code: shared clinic computers
MFA_REAUTHENTICATION_REQUIRED = True
# Roles that must have an authenticator before any page with patient data renders.
MFA_REQUIRED_ROLES = ["clinician", "admin"]

# --- Sessions ---------------------------------------------------------------------------------
# Idle logoff per role and an absolute lifetime, enforced by SessionLimitsMiddleware
# (b12care/accounts/sessions.py); pages warn SESSION_WARNING_SECONDS before an idle logoff.
SESSION_IDLE_MINUTES_STAFF = env.int("SESSION_IDLE_MINUTES_STAFF", default=15)
SESSION_IDLE_MINUTES_PATIENT = env.int("SESSION_IDLE_MINUTES_PATIENT", default=30)
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
SESSION_WARNING_SECONDS = 120
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
# Lab values and other health data in flash messages stay on the server, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Internationalisation and time --------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"  # storage and server time; each patient's schedule lives in their own zone
USE_I18N = True
USE_TZ = True

# --- Static files (our own and npm's, served by us: never a CDN) -------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or not env.bool("STATIC_MANIFEST", default=True)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not env.bool("STATIC_MANIFEST", default=True)

# --- Email --------------------------------------------------------------------------------------
# Invitation and password-reset emails carry live sign-in links, so no email may reach a log.
# Without EMAIL_URL a DEBUG run writes each email to a file in var/mail/. With DEBUG off an email
# backend must be chosen; the console backend (stdout, i.e. the log) needs ALLOW_CONSOLE_EMAIL.
MAIL_DIR = VAR_DIR / "mail"
EMAIL_URL = env.str("EMAIL_URL", default="")
ALLOW_CONSOLE_EMAIL = env.bool("ALLOW_CONSOLE_EMAIL", default=False)
_email = env.email_url_config(EMAIL_URL) if EMAIL_URL else {
    "EMAIL_BACKEND": "django.core.mail.backends."
                     + ("filebased.EmailBackend" if DEBUG else "console.EmailBackend")}
if _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    # filemail://var/mail is relative to the checkout; with no path, var/mail/.
    _email["EMAIL_FILE_PATH"] = str(BASE_DIR / (_email.get("EMAIL_FILE_PATH") or MAIL_DIR))
vars().update(_email)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
if (EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
        and not DEBUG and not ALLOW_CONSOLE_EMAIL):
    raise ImproperlyConfigured(
        "Email would be printed to the console, where invitation and password-reset links (live "
        "sign-in links) end up in the logs. With DEBUG off B12 Care refuses to start: set "
        "EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.org:587), or ALLOW_CONSOLE_EMAIL="
        "true to accept console email knowingly."
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="B12 Care <no-reply@b12care.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# An SMTP send gives up after this many seconds: well inside the 30 s delivery lease of urgent
# alerts (alerts/delivery.py), so a slow server cannot make two workers send one row.
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT") or env.int("EMAIL_TIMEOUT", default=10)

# --- Headers, cookies and transport (docs/security.md, "Headers, cookies and logs") ------------
# Cookies: Secure whenever the site is served over HTTPS (the default with DEBUG off), and then
# named with the __Host- prefix, which browsers accept only with Secure, Path=/ and no Domain:
# no other host or path can plant or read them.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it; forms carry the token
# Lax, not Strict: with Strict a link in an email would open the site signed out.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Transport: redirect to HTTPS here or trust the proxy that terminates TLS; /healthz stays
# reachable over plain HTTP for load-balancer probes (it tells outsiders only ok/degraded).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool(
    "BEHIND_TLS_PROXY", default=False
) else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Headers on every response Django renders. SecurityMiddleware sets the first three;
# core.middleware.SecurityHeadersMiddleware adds Cache-Control: no-store, Permissions-Policy,
# Cross-Origin-Resource-Policy, and Clear-Site-Data on sign-out.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # page addresses carry patient ids: keep them in-house
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # for browsers older than CSP's frame-ancestors
# Every powerful browser feature off: B12 Care uses none of them. Only features Chromium knows
# (an unknown one is a console error). WebAuthn (publickey-credentials-*) stays allowed.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "geolocation",
    "gyroscope", "hid", "magnetometer", "microphone", "midi", "payment", "serial", "usb",
))

# Content-Security-Policy (django-csp 4): only our own scripts, styles and images; no inline
# script or style anywhere (templates keep both in static/), no plugins, no framing, forms post
# only to us. The SVG charts use presentation attributes (fill=, stroke=), which CSP allows.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap draws its icons as data: SVGs in CSS
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Celery (b12care/celery.py reads every CELERY_* name below) ---------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
# Redis re-delivers an unacknowledged task after this many seconds; every task's hard time
# limit stays well below it so a slow task is never run twice by redelivery.
REDIS_VISIBILITY_TIMEOUT = 3600
# Every wait on Redis is bounded (docs/reliability.md): connect and read timeouts in seconds.
# A frozen Redis then costs a request at most this long, never gunicorn's worker timeout.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
# /healthz gives up on the broker (Redis) after this many seconds.
HEALTH_PROBE_TIMEOUT = env.float("HEALTH_PROBE_TIMEOUT", default=0.4)
# /healthz says "stale" when no worker has been seen for this long (heartbeat every 60 s).
WORKER_STALE_SECONDS = env.int("WORKER_STALE_SECONDS", default=180)
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    # Publishes give up after one try (the outbox relay re-sends); workers reconnect
    # through broker_connection_retry, which stays on.
    "max_retries": 0,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
    CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # default: ./control in the checkout
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
BROKER_SCHEME = CELERY_BROKER_URL.split(":", 1)[0]  # "redis" or "filesystem"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Cache (allauth's rate limits live here, so they must be shared by every web process) --------
# Never rendered pages or other health data: pages read PostgreSQL read models instead.
# While Redis is unreachable the cache falls back to a per-process memory cache for
# CACHE_FALLBACK_SECONDS before trying Redis again (b12care/core/cache.py): rate limits then
# count per web process instead of shared, and sign-in keeps working.
CACHE_FALLBACK_SECONDS = env.float("CACHE_FALLBACK_SECONDS", default=15.0)
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "b12care.core.cache.FallbackRedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": "b12care",
                          "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                                      "socket_timeout": REDIS_SOCKET_TIMEOUT,
                                      "retry_on_timeout": False}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# --- REST API (b12care/api; README "Integrations") --------------------------------------------
# Token auth first: its WWW-Authenticate header makes an unauthenticated call a 401, not a 403.
# Session auth (with CSRF) serves the signed-in web and the docs page.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "b12care.api.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Counters live in the default cache (Redis in production): never health data.
    "DEFAULT_THROTTLE_CLASSES": [
        "b12care.api.throttling.AnonThrottle",
        "b12care.api.throttling.UserThrottle",
    ],
    "EXCEPTION_HANDLER": "b12care.api.throttling.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="30/min"),
        "user": env.str("API_THROTTLE_USER", default="240/min"),
        "devices": env.str("API_THROTTLE_DEVICES", default="10/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "B12 Care API",
    "DESCRIPTION": (
        "Patients read and write their own injections, diary and lab results and read their "
        "schedule and alerts; clinicians read their patients and acknowledge alerts. "
        "Authenticate with a device token (`Authorization: Bearer b12_...`) created on the "
        "Devices page, or with the signed-in session (send the CSRF token on writes)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "b12care.api.schema.document_errors",
    ],
    # Our own copies (make: static/vendor); never a CDN.
    "SWAGGER_UI_DIST": f"/{STATIC_URL}vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": f"/{STATIC_URL}img/icon.svg",
    "REDOC_DIST": f"/{STATIC_URL}vendor/redoc",  # not vendored: the docs page is Swagger UI
}

# --- Crispy forms ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Through the root handler only: Django's own DEBUG console handler printed every
        # "Not Found" twice.
        "django": {"handlers": [], "level": env.str("LOG_LEVEL", default="INFO"),
                   "propagate": True},
        # "Not Found: /x" and other 4xx warnings repeat what the access log says; make run
        # sets ERROR (one line per request), production keeps them unless told otherwise.
        "django.request": {"level": env.str("REQUEST_LOG_LEVEL", default="WARNING")},
    },
}
if BROKER_SCHEME == "filesystem":
    # kombu warns "No hostname was supplied" on every start: a filesystem broker has none.
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}

# --- Text messages (no real provider yet: console or file backend; see docs/alerts.md) ---------
# A DEBUG run writes texts to a file (numbers and bodies never go to the log).
B12_SMS_BACKEND = env.str("SMS_BACKEND", default="b12care.alerts.channels.sms." + (
    "FileBackend" if DEBUG else "ConsoleBackend"))
B12_SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms.jsonl"))

# --- Exports: the doctor's report as PDF is printed by headless Chromium (Debian's package) ----
CHROMIUM_PATH = env.str("CHROMIUM_PATH", default="/usr/bin/chromium")
# Unknown calendar-feed addresses answered per client address per minute before 429.
CALENDAR_FEED_MISSES_PER_MINUTE = env.int("CALENDAR_FEED_MISSES_PER_MINUTE", default=20)

# --- Product ------------------------------------------------------------------------------------
# Demo data only: printed by make run, documented in README. seed_demo refuses with DEBUG off.
DEMO_PASSWORD = "b12-demo-pass"
# Demo staff's TOTP secret (base32): demo data only, documented in README; `manage.py
# demo_mfa_code` prints the current code when DEBUG is on.
DEMO_TOTP_SECRET = "BTWELVECAREDEMOSECRETONLYFORDEMO"
