"""gunicorn.conf.py: threads for a web app that waits on I/O, sized from the environment, and
the scrubbing access log kept."""

import runpy
from pathlib import Path

from django.conf import settings

CONF = Path(settings.BASE_DIR) / "gunicorn.conf.py"


def test_web_processes_serve_requests_on_threads_sized_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_THREADS", "6")
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "gthread"
    assert (conf["workers"], conf["threads"]) == (3, 6)
    assert conf["logger_class"] == "b12care.core.accesslog.ScrubbingLogger"


def test_the_worker_timeout_is_longer_than_any_bounded_wait(monkeypatch):
    monkeypatch.delenv("WEB_TIMEOUT", raising=False)
    conf = runpy.run_path(str(CONF))
    waits = settings.REDIS_CONNECT_TIMEOUT + settings.REDIS_SOCKET_TIMEOUT
    assert conf["timeout"] > 10 * waits
