"""Redis frozen (SIGSTOP) or refusing connections, with a redis-server of the test's own:
sign-in, data entry and /healthz keep answering within the Redis timeout + 1 s, and a saved
injection is answered as saved."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from kombu import pools as kombu_pools

from b12care.celery import app
from injections.models import Injection

from .redis_server import OwnRedis

pytestmark = pytest.mark.django_db
REFUSING = "redis://127.0.0.1:1/0"  # nothing listens on port 1
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server binary (apt-get install redis-server)")
    server = OwnRedis()
    try:
        yield server
    finally:
        server.stop()


def bound() -> float:
    """The longest any request may take while Redis is frozen or gone."""
    return settings.REDIS_SOCKET_TIMEOUT + settings.REDIS_CONNECT_TIMEOUT + 1


@contextlib.contextmanager
def broker_at(url: str):
    """Point Celery's producers at ``url`` with the production Redis transport options."""
    old = app.conf.broker_url, app.conf.broker_transport_options

    def reset_pools():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        # kombu keeps producer pools per connection in a global registry: drop them too, or
        # the next send gets a producer whose connection pool was just closed.
        kombu_pools.reset()

    app.conf.broker_url = url
    app.conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = old
        reset_pools()


@pytest.fixture
def redis_cache_at(settings):
    """Use the production cache backend, pointed at a given Redis."""
    def use(url: str) -> None:
        settings.CACHES = {"default": {
            "BACKEND": "b12care.core.cache.FallbackRedisCache", "LOCATION": url,
            "KEY_PREFIX": "b12care-test",
            "OPTIONS": {"socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT}}}
    return use


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def sign_in(client):
    return client.post("/accounts/login/", {"login": "pat@example.org",
                                            "password": "correct-horse-battery"})


# --- /healthz ----------------------------------------------------------------------------------
def test_healthz_answers_json_503_within_a_second_while_redis_is_frozen(client, settings,
                                                                        own_redis):
    settings.BROKER_SCHEME = "redis"
    with broker_at(own_redis.url):
        assert client.get("/healthz").status_code == 200  # warm: URLs and templates loaded
        with own_redis.frozen():
            response, took = timed(lambda: client.get("/healthz"))
    assert took < 1
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["ok"] is False and "Timeout" in body["broker"]["detail"]
    assert body["database"]["ok"] is True


def test_healthz_answers_within_a_second_while_redis_refuses(client, settings):
    client.get("/healthz")  # warm: URLs and templates loaded
    settings.BROKER_SCHEME = "redis"
    with broker_at(REFUSING):
        response, took = timed(lambda: client.get("/healthz", **OUTSIDE))
    assert took < 1
    assert response.status_code == 503 and response.json() == {"status": "degraded"}


# --- Sign-in: allauth's rate limits live in the cache --------------------------------------------
def test_sign_in_works_while_the_cache_redis_is_frozen(client, patient, own_redis,
                                                       redis_cache_at):
    redis_cache_at(own_redis.url)
    with own_redis.frozen():
        response, took = timed(lambda: sign_in(client))
        assert took < bound()
        assert response.status_code == 302 and "_auth_user_id" in client.session
        client.logout()
        response, took = timed(lambda: sign_in(client))
    assert took < 0.5 * bound()  # the fallback is used at once: no second wait on Redis
    assert response.status_code == 302


def test_sign_in_works_and_is_still_rate_limited_while_the_cache_redis_refuses(
        client, patient, redis_cache_at):
    redis_cache_at(REFUSING)
    for _ in range(5):
        client.post("/accounts/login/", {"login": "pat@example.org", "password": "wrong"})
    response = sign_in(client)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()


def test_the_cache_uses_redis_again_once_it_answers(own_redis, redis_cache_at, settings):
    settings.CACHE_FALLBACK_SECONDS = 0.2
    redis_cache_at(own_redis.url)
    with own_redis.frozen():
        cache.set("k", "during the freeze")
    time.sleep(0.3)  # the fallback period passes (a real process: Redis was really frozen)
    cache.set("k", "after")
    assert cache._cache.get_client().get(cache.make_and_validate_key("k")) is not None


# --- Data entry: the relay kick never holds the response ---------------------------------------
def red_flag(client, patient):
    form = client.get(reverse("injections:log")).context["form"]
    taken = (timezone.now() - dt.timedelta(minutes=30)).astimezone(patient.tz)
    return {"form_token": form.initial.get("form_token", ""),
            "taken_at": taken.strftime("%Y-%m-%dT%H:%M"), "product": "hydroxocobalamin",
            "dose": "1", "unit": "mg", "site": "left_vastus_lateralis",
            "administered_by": "nurse", "systemic_reactions": ["breathing_difficulty"]}


@pytest.mark.django_db(transaction=True)
def test_a_red_flag_saved_while_redis_is_frozen_is_answered_as_saved_at_once(
        client, patient, own_redis, redis_cache_at):
    redis_cache_at(own_redis.url)
    client.force_login(patient.user)
    data = red_flag(client, patient)
    with broker_at(own_redis.url), own_redis.frozen():
        response, took = timed(lambda: client.post(reverse("injections:log"), data))
        assert took < bound()
        assert response.status_code == 302
        assert response["Location"] == reverse("alerts:guidance")
        assert Injection.objects.filter(patient=patient).count() == 1
        time.sleep(bound())  # the background kick gives up within its timeout ...
    response, took = timed(lambda: client.post(reverse("injections:log"), data))
    assert took < bound()  # ... and a thawed Redis serves the next request normally
    assert Injection.objects.filter(patient=patient).count() == 1  # same token: stored once
