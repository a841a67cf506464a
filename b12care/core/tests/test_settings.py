"""Production start-up refuses unsafe settings with a clear message."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Settings these tests decide; everything else (DATABASE_URL, ...) comes from the test run.
DECIDED = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "ALLOW_CONSOLE_EMAIL",
           "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "BEHIND_TLS_PROXY", "SECURE_HSTS_SECONDS",
           "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SMS_BACKEND"}


def start_django(*, code="", **env_overrides):
    """Start Django in a fresh process with these variables; ``code`` runs after setup."""
    env = {k: v for k, v in os.environ.items() if k not in DECIDED}
    env.update(DJANGO_SETTINGS_MODULE="b12care.settings", **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def settings_of(*names, **env_overrides) -> dict[str, object]:
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))")
    result = start_django(code=code, **env_overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


GOOD_KEY = "k3J9x-Qp2Lm8Zr4Tn6Vb1Wc7Yd5Fh0Gs9Ja2Ke4Lo6Mi8Nu1Pt3Rq5Sw7Xy9Zz"
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "care.example.org",
              "EMAIL_URL": "smtp+tls://b12care:pw@smtp.example.org:587"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "care.example.org"}, "SECRET_KEY is not set"),
        ({"DEBUG": "false", "SECRET_KEY": "short", "ALLOWED_HOSTS": "x"}, "SECRET_KEY is weak"),
        ({"DEBUG": "false", "SECRET_KEY": "django-insecure-" + "a1b2c3" * 10,
          "ALLOWED_HOSTS": "x"}, "development key"),
        ({"DEBUG": "false", "SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS is empty"),
    ],
)
def test_it_refuses_to_start_without_debug_and_a_safe_configuration(env, message):
    result = start_django(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_it_starts_with_a_strong_key_allowed_hosts_and_an_email_server():
    result = start_django(**PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("email_url", [None, "consolemail://"], ids=["unset", "console"])
def test_without_debug_it_refuses_to_print_emails_with_their_sign_in_links(email_url):
    env = {**PRODUCTION, "EMAIL_URL": email_url} if email_url else {
        k: v for k, v in PRODUCTION.items() if k != "EMAIL_URL"}
    result = start_django(**env)
    assert result.returncode != 0
    assert "Email would be printed to the console" in result.stderr
    assert "ALLOW_CONSOLE_EMAIL" in result.stderr


def test_console_email_can_be_allowed_knowingly():
    env = {**PRODUCTION, "EMAIL_URL": "consolemail://", "ALLOW_CONSOLE_EMAIL": "true"}
    backend = settings_of("EMAIL_BACKEND", **env)
    assert backend == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


def test_a_debug_run_writes_emails_and_texts_to_files_under_var_not_to_the_log():
    found = settings_of("EMAIL_BACKEND", "EMAIL_FILE_PATH", "B12_SMS_BACKEND", DEBUG="true")
    assert found == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(ROOT / "var" / "mail"),
        "B12_SMS_BACKEND": "b12care.alerts.channels.sms.FileBackend",
    }


def test_secure_cookies_get_host_only_names():
    names = ("SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE",
             "CSRF_COOKIE_SECURE", "SESSION_COOKIE_DOMAIN", "SESSION_COOKIE_PATH",
             "CSRF_COOKIE_DOMAIN", "CSRF_COOKIE_PATH")
    # __Host- cookies are accepted by browsers only with Secure, Path=/ and no Domain.
    assert settings_of(*names, **PRODUCTION) == {
        "SESSION_COOKIE_NAME": "__Host-sessionid", "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_DOMAIN": None, "SESSION_COOKIE_PATH": "/",
        "CSRF_COOKIE_DOMAIN": None, "CSRF_COOKIE_PATH": "/",
    }
    plain = settings_of("SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", DEBUG="true")
    assert plain == {"SESSION_COOKIE_NAME": "sessionid", "CSRF_COOKIE_NAME": "csrftoken"}


def test_hsts_is_configured_from_the_environment():
    names = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
    assert settings_of(*names, **PRODUCTION) == {
        "SECURE_HSTS_SECONDS": 0, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False}
    assert settings_of(*names, **PRODUCTION, SECURE_HSTS_SECONDS="31536000",
                       SECURE_HSTS_INCLUDE_SUBDOMAINS="false", SECURE_HSTS_PRELOAD="true") == {
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": True}


def production_env() -> dict[str, str]:
    """docs/production.env, the environment docs/deploy.md documents, plus a secret key."""
    lines = (ROOT / "docs" / "production.env").read_text().splitlines()
    pairs = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {**pairs, "SECRET_KEY": GOOD_KEY}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_documented_production_environment():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_hsts():
    env = {k: v for k, v in production_env().items() if k != "SECURE_HSTS_SECONDS"}
    result = check_deploy(env)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_the_deploy_guide_shows_exactly_the_checked_environment():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for name, value in production_env().items():
        if name != "SECRET_KEY":
            assert f"{name}={value}" in guide, name


def test_it_starts_in_debug_with_nothing_set():
    result = start_django(DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_storage_is_utc_and_timezone_aware(settings):
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_with_redis_every_wait_on_it_has_a_connect_and_read_timeout():
    got = settings_of("CACHES", "CELERY_BROKER_TRANSPORT_OPTIONS",
                      "CELERY_BROKER_CONNECTION_TIMEOUT", "EMAIL_TIMEOUT", **PRODUCTION,
                      REDIS_URL="redis://127.0.0.1:6399/0", REDIS_SOCKET_TIMEOUT="0.8")
    cache = got["CACHES"]["default"]
    assert cache["BACKEND"] == "b12care.core.cache.FallbackRedisCache"
    assert cache["OPTIONS"]["socket_timeout"] == 0.8
    assert cache["OPTIONS"]["socket_connect_timeout"] == 0.5
    broker = got["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert (broker["socket_timeout"], broker["socket_connect_timeout"]) == (0.8, 0.5)
    assert broker["max_retries"] == 0
    assert got["CELERY_BROKER_CONNECTION_TIMEOUT"] == 0.5
    assert got["EMAIL_TIMEOUT"] == 10


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit_compilation():
    """JIT turned the dashboard's 12 ms ranking query into 680 ms (docs/benchmarks.md)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (.ci/run runs the suite on PostgreSQL)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


# --- SITE_URL: the links in emails and the URL make run prints ------------------------------------
def test_site_url_follows_port_unless_set():
    from django.core.exceptions import ImproperlyConfigured

    from b12care.settings import derive_site_url

    assert derive_site_url({}) == "http://127.0.0.1:8000"
    assert derive_site_url({"PORT": "8100"}) == "http://127.0.0.1:8100"
    assert derive_site_url({"PORT": "8100", "SITE_URL": "https://care.example.org/"}) == (
        "https://care.example.org")
    assert derive_site_url({"PORT": " ", "SITE_URL": " "}) == "http://127.0.0.1:8000"
    with pytest.raises(ImproperlyConfigured, match="PORT must be a number"):
        derive_site_url({"PORT": "eighty"})


def test_port_8100_makes_the_sign_in_links_point_at_8100():
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.SITE_URL)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "b12care.settings", "DEBUG": "true",
                       "PORT": "8100"}, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8100", result.stderr


def test_production_serves_hashed_gzip_compressed_static_files(monkeypatch):
    monkeypatch.delenv("STATIC_MANIFEST", raising=False)  # the test run turns it off: the default
    backend = settings_of("STORAGES", **PRODUCTION)["STORAGES"]["staticfiles"]["BACKEND"]
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.mark.parametrize(("level", "logged"), [("WARNING", True), ("ERROR", False)])
def test_make_run_leaves_not_found_to_the_access_log(level, logged, tmp_path):
    code = ("from django.test import Client; "
            "assert Client().get('/no-such-page/').status_code == 404")
    result = start_django(code=code, DEBUG="true", ALLOWED_HOSTS="testserver",
                          REQUEST_LOG_LEVEL=level, LOG_LEVEL="WARNING",
                          DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert ("Not Found: /no-such-page/" in result.stderr) is logged, result.stderr


@pytest.mark.parametrize("value, url_options, expected", [
    ("", "", "-c jit=off"),
    ("on", "", "-c jit=on"),
    ("off", "?options=-c%20statement_timeout%3D5000", "-c statement_timeout=5000 -c jit=off"),
    ("server", "", None),  # behind PgBouncer: nothing sent, ALTER DATABASE sets it
])
def test_pg_jit_is_sent_with_each_connection_unless_the_server_sets_it(value, url_options,
                                                                        expected):
    env = {"DEBUG": "true", "DATABASE_URL": f"postgres://b12@db.internal:5432/b12{url_options}"}
    if value:
        env["PG_JIT"] = value
    got = settings_of("DATABASES", **env)["DATABASES"]["default"].get("OPTIONS", {})
    assert got.get("options") == expected


def test_a_pg_jit_typo_refuses_to_start():
    result = start_django(DEBUG="true", DATABASE_URL="postgres://b12@db.internal:5432/b12",
                          PG_JIT="of")
    assert result.returncode != 0
    assert "PG_JIT must be off, on or server" in result.stderr
