# gunicorn reads this file when started from the checkout (Procfile, docs/deploy.md pass it
# explicitly with -c). The access log keeps no one-time tokens, search terms or cookies:
# see b12care/core/accesslog.py.
import os

logger_class = "b12care.core.accesslog.ScrubbingLogger"

# A request mostly waits on PostgreSQL and Redis, so each process serves several at once with
# threads. Sizing: WEB_CONCURRENCY processes (about one per CPU core: Python runs one thread
# at a time per process) x WEB_THREADS threads (4-8: requests waiting on I/O). Each thread
# holds at most one PostgreSQL connection, so keep workers x threads (plus the Celery
# workers') under PostgreSQL's max_connections. Defaults: 2 x 4 = 8 requests at once.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# Every wait inside a request is bounded well below this (settings.REDIS_*_TIMEOUT,
# HEALTH_PROBE_TIMEOUT), so a worker is only killed for a real hang.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
