"""`make bench`: page throughput against PostgreSQL + gunicorn, and the reminder sweep at scale.

Prints one line per page, baseline first, in a form that can be compared run to run:
    bench <name> rps=<n> p50_ms=<n> p99_ms=<n> errors=<n> ratio=<x.xx>
then the pages that cache fragments once more with the cache off (`bench <name>_uncached ...`,
same baseline), then `bench sweep ...`. docs/benchmarks.md records the figures and how to read
them.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/b12care_bench),
BENCH_SWEEP_DATABASE_URL (default …/b12care_bench_sweep), BENCH_SWEEP=0 skips the sweep,
BENCH_UNCACHED=0 skips the uncached pages,
BENCH_PATIENTS (1000), BENCH_SECONDS (10 per page), BENCH_CONNECTIONS (8), BENCH_WORKERS (gunicorn
processes, default 3), BENCH_SWEEP_PATIENTS (100000), REDIS_URL (broker; default redis db 5).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12care_bench")
SWEEP_DB_URL = os.environ.get("BENCH_SWEEP_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/b12care_bench_sweep")
PATIENTS = int(os.environ.get("BENCH_PATIENTS", "1000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "b12care.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-" + "x7Kp2Qm9Zr4Tn6Vb1Wc8Yd5Fh3Gs0Ja" * 2,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "false",
    "STATIC_MANIFEST": "true",  # as in production: hashed files from collectstatic
    "BENCH_ENDPOINTS": "true",
    "DATABASE_URL": DB_URL,
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"),
    "EMAIL_URL": "dummymail://",
    "LOG_LEVEL": "WARNING",
    "CONN_MAX_AGE": "600",
}


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    exists = subprocess.run(
        ["psql", url.rsplit("/", 1)[0] + "/postgres", "-tAc",
         f"select 1 from pg_database where datname = '{name}'"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", url.rsplit("/", 1)[0] + "/postgres", "-qc",
                        f'create database "{name}"'], check=True)


def manage(*args: str, env: dict | None = None) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env or ENV, check=True,
                          capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "b12care.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT, env=env or ENV,
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not become healthy")


UNCACHED_PAGES = ("patient_home", "dashboard", "review")


def run_pages(targets: list[dict], env: dict) -> list[tuple[str, wrk.Result]]:
    """wrk each target against a fresh gunicorn started with ``env``."""
    port = free_port()
    server = start_gunicorn(port, env)
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        for target in targets:
            url = base + target["path"]
            # warm-up: caches, persistent DB connections in every worker
            options = {"cookie": target["cookie"], "connections": CONNECTIONS,
                       "post_body": target.get("post_body"), "headers": target.get("headers"),
                       "cookies": target.get("cookies")}
            wrk.run(url, seconds=2, **options)
            results.append((target["name"], wrk.run(url, seconds=SECONDS, **options)))
    finally:
        server.terminate()
        server.wait(timeout=20)
    return results


def main() -> None:
    ensure_database(DB_URL)
    log(f"database {DB_URL}; migrating")
    manage("migrate", "--no-input")
    manage("collectstatic", "--no-input")
    log(f"dataset: {PATIENTS} patients, one year each (first run takes a few minutes)")
    manage("seed_bench", "--patients", str(PATIENTS))
    targets = json.loads(manage("bench_targets"))
    results = run_pages(targets, ENV)
    if os.environ.get("BENCH_UNCACHED", "1") != "0":
        # The same pages with the fragment cache off (FRAGMENT_CACHE=false): what a request
        # costs when nothing is cached yet (first view in 5 minutes, or just after a write).
        uncached = [t for t in targets if t["name"] in UNCACHED_PAGES]
        results += [(f"{name}_uncached", r) for name, r in
                    run_pages(uncached, {**ENV, "FRAGMENT_CACHE": "false"})]
    baseline = results[0][1].rps or 1.0
    for name, r in results:
        print(f"bench {name} rps={r.rps:.0f} p50_ms={r.p50_ms:.1f} p99_ms={r.p99_ms:.1f} "
              f"errors={r.errors} ratio={r.rps / baseline:.2f}", flush=True)
    if os.environ.get("BENCH_SWEEP", "1") != "0":
        # The sweep bench has its own database: 100,000 patients would change the page bench.
        ensure_database(SWEEP_DB_URL)
        sweep_env = {**ENV, "DATABASE_URL": SWEEP_DB_URL}
        manage("migrate", "--no-input", env=sweep_env)
        log("sweep: 100,000 patients (built once with COPY, reused afterwards)")
        print(manage("bench_sweep", "--patients", os.environ.get("BENCH_SWEEP_PATIENTS", "100000"),
                     env=sweep_env).strip(), flush=True)


if __name__ == "__main__":
    main()
