"""`make bench`: pages, scale, mixed load, the reminder sweep and web memory, in one run.

Prints, in a form that can be compared run to run (docs/benchmarks.md says how to read them):
    bench <page> rps=<n> p50_ms=<n> p99_ms=<n> errors=<n> ratio=<x.xx>   (baseline first)
    bench scale dashboard_1k_ms=<n> dashboard_10k_ms=<n> ratio=<x.xx>
    bench mixed seconds=<n> requests=<n> errors=<n> p50_ms=<n> p99_ms=<n>
    bench sweep patients=<n> due=<n> seconds=<s> rows_per_s=<n>
    bench memory web_worker_rss_mb=<n>
Progress goes to stderr as `# ...` lines.

Everything runs with the bench settings (bench/settings.py: product settings + bench app and
URLconf) and only against databases whose names contain "bench" (bench/guard.py).

Environment (all optional):
  BENCH_DATABASE_URL        pages, mixed, scale at 1k  (…/b12care_bench)
  BENCH_10K_DATABASE_URL    scale at 10k               (…/b12care_bench_10k)
  BENCH_SWEEP_DATABASE_URL  sweep                      (…/b12care_bench_sweep)
  REDIS_URL                 broker for the mixed run and the sweep (redis://127.0.0.1:6379/5)
  BENCH_PAGES=0, BENCH_SCALE=0, BENCH_MIXED=0, BENCH_SWEEP=0   skip a part
  BENCH_PATIENTS (1000), BENCH_OTHERS (9000), BENCH_SECONDS (10 per page),
  BENCH_MIXED_SECONDS (60), BENCH_CONNECTIONS (8), BENCH_WORKERS (gunicorn processes, 3),
  BENCH_SCALE_REQUESTS (100), BENCH_SWEEP_PATIENTS (100000)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, wrk  # noqa: E402
from bench.guard import NotABenchDatabase, require_bench_database  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PY = str(BIN / "python")
SERVER = "postgres://postgres@127.0.0.1:5432"
DB_URL = os.environ.get("BENCH_DATABASE_URL", f"{SERVER}/b12care_bench")
DB_10K_URL = os.environ.get("BENCH_10K_DATABASE_URL", f"{SERVER}/b12care_bench_10k")
SWEEP_DB_URL = os.environ.get("BENCH_SWEEP_DATABASE_URL", f"{SERVER}/b12care_bench_sweep")
PATIENTS = int(os.environ.get("BENCH_PATIENTS", "1000"))
OTHERS = int(os.environ.get("BENCH_OTHERS", "9000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
MIXED_SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
SCALE_REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "100"))
SCALE_TURNS = 4

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-" + "x7Kp2Qm9Zr4Tn6Vb1Wc8Yd5Fh3Gs0Ja" * 2,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "false",
    "STATIC_MANIFEST": "true",  # as in production: hashed files from collectstatic
    "DATABASE_URL": DB_URL,
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"),
    "EMAIL_URL": "dummymail://",
    "LOG_LEVEL": "WARNING",
    "CONN_MAX_AGE": "600",
}


def part(name: str) -> bool:
    return os.environ.get(f"BENCH_{name}", "1") != "0"


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def env_for(url: str) -> dict:
    return {**ENV, "DATABASE_URL": url}


def db_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def psql(url: str, sql: str) -> str:
    maintenance = url.rsplit("/", 1)[0] + "/postgres"
    done = subprocess.run(["psql", maintenance, "-tAc", sql], capture_output=True, text=True)
    if done.returncode:  # e.g. the template database is in use by another session
        raise SystemExit(f"psql: {sql}: {done.stderr.strip()}")
    return done.stdout.strip()


def database_exists(url: str) -> bool:
    return psql(url, f"select 1 from pg_database where datname = '{db_name(url)}'") == "1"


def ensure_database(url: str, *, template: str | None = None) -> bool:
    """Create the database if missing (as a copy of ``template`` if given); True if created."""
    if database_exists(url):
        return False
    clause = f' template "{template}"' if template else ""
    psql(url, f'create database "{db_name(url)}"{clause}')
    return True


def manage(*args: str, env: dict | None = None) -> str:
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env or ENV,
                          stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit {done.returncode})")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: list[str], env: dict, *, log_to: Path | None = None) -> subprocess.Popen:
    # Its own process group, so stop() can end whatever of it outlives its main process.
    out = open(log_to, "a") if log_to else None  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True, stdout=out,
                            stderr=subprocess.STDOUT if out else None)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the main process (gunicorn and Celery stop their own children), and SIGKILL
    to its process group if it has not stopped after 30 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def start_gunicorn(port: int, env: dict) -> subprocess.Popen:
    proc = start([str(BIN / "gunicorn"), "b12care.wsgi", "--bind", f"127.0.0.1:{port}",
                  "--workers", str(WORKERS), "--log-level", "warning"], env)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit("gunicorn did not become healthy")


class WorkerMemory:
    """Peak resident memory (VmHWM) of gunicorn's worker processes, sampled every 0.5 s."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _children(pid: int) -> list[int]:
        try:
            return [int(c) for c in
                    Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    @staticmethod
    def _hwm_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def sample(self, master: int) -> None:
        for child in self._children(master):
            self.peak_kb = max(self.peak_kb, self._hwm_kb(child))

    def watch(self, master: int) -> WorkerMemory:
        def loop() -> None:
            while not self._stop.wait(0.5):
                self.sample(master)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def done(self, master: int) -> None:
        self.sample(master)  # once more before the server stops
        self._stop.set()
        if self._thread:
            self._thread.join()


# --- parts -----------------------------------------------------------------------------------
def run_pages(pages: list[dict], memory: WorkerMemory) -> None:
    """wrk each page (2 s warm-up, then SECONDS) against one gunicorn; baseline first."""
    port = free_port()
    server = start_gunicorn(port, ENV)
    memory.watch(server.pid)
    results = []
    try:
        for page in pages:
            url = f"http://127.0.0.1:{port}{page['path']}"
            options = {"cookie": page["cookie"], "connections": CONNECTIONS,
                       "post_body": page.get("post_body"), "headers": page.get("headers"),
                       "cookies": page.get("cookies"), "bodies": page.get("bodies")}
            wrk.run(url, seconds=2, **options)  # warm-up: persistent connections in every worker
            results.append((page["name"], wrk.run(url, seconds=SECONDS, **options)))
    finally:
        memory.done(server.pid)
        stop(server)
    baseline = results[0][1].rps or 1.0
    for name, r in results:
        print(f"bench {name} rps={r.rps:.0f} p50_ms={r.p50_ms:.1f} p99_ms={r.p99_ms:.1f} "
              f"errors={r.errors} ratio={r.rps / baseline:.2f}", flush=True)


def run_scale() -> None:
    """The bench clinician's dashboard (1,000 patients on the team), median in-process time,
    with 1,000 and with 10,000 patients in the database."""
    if ensure_database(DB_10K_URL, template=db_name(DB_URL)):
        log(f"scale: {db_name(DB_10K_URL)} created as a copy of {db_name(DB_URL)}")
    env_10k = env_for(DB_10K_URL)
    manage("migrate", "--no-input", env=env_10k)
    log(f"scale: {OTHERS} patients on other teams (built once with COPY, reused afterwards)")
    manage("seed_bench", "--patients", str(PATIENTS), "--others", str(OTHERS), env=env_10k)
    # In turns (1k, 10k, 1k, ...), so a change in the machine's speed during the run affects
    # both figures alike.
    timings: dict[str, list[float]] = {"1k": [], "10k": []}
    per_turn = str(max(1, SCALE_REQUESTS // SCALE_TURNS))
    for _ in range(SCALE_TURNS):
        for label, env in (("1k", ENV), ("10k", env_10k)):
            out = json.loads(manage("bench_scale", "--requests", per_turn, "--warmup", "5",
                                    env=env))
            timings[label] += out["timings_ms"]
            log(f"scale {label}: median {out['median_ms']:.1f} ms of {per_turn}; "
                f"{out['patients_on_team']} patients on the team, "
                f"{out['patients_in_database']} in the database")
    figures = {label: statistics.median(values) for label, values in timings.items()}
    print(f"bench scale dashboard_1k_ms={figures['1k']:.1f} dashboard_10k_ms={figures['10k']:.1f} "
          f"ratio={figures['10k'] / figures['1k']:.2f}", flush=True)


def celery_ready(env: dict) -> bool:
    for _ in range(30):
        ping = subprocess.run([str(BIN / "celery"), "-A", "b12care", "inspect", "ping",
                               "--timeout", "2"], cwd=ROOT, env=env, capture_output=True)
        if ping.returncode == 0:
            return True
        time.sleep(1)
    return False


def celery_tasks_run(env: dict) -> int:
    stats = subprocess.run([str(BIN / "celery"), "-A", "b12care", "inspect", "stats", "--json",
                            "--timeout", "5"], cwd=ROOT, env=env, capture_output=True, text=True)
    try:
        return sum(sum(w.get("total", {}).values()) for w in json.loads(stats.stdout).values())
    except (ValueError, AttributeError):
        return -1


def queued() -> int:
    import redis

    return redis.Redis.from_url(ENV["REDIS_URL"]).llen("celery")


def drain(seconds: int = 180) -> None:
    """Let the worker empty the queue first (tasks left by earlier runs' POSTs), so the mixed
    window holds only what its own traffic and beat produce."""
    started, left = time.monotonic(), queued()
    while left and time.monotonic() - started < seconds:
        time.sleep(1)
        left = queued()
    log(f"mixed: queue drained before the load in {time.monotonic() - started:.0f} s "
        f"({left} left)")


def run_mixed(spec: dict, memory: WorkerMemory) -> None:
    """MIXED_SECONDS of patients' and clinicians' requests at once, with a real Celery worker
    and beat on Redis consuming what the writes enqueue."""
    celery_log = ROOT / "var" / "bench-celery.log"
    log(f"mixed: Celery worker and beat on {ENV['REDIS_URL']}, log in {celery_log}")
    # A fresh beat schedule each run: every periodic task is first sent one interval after the
    # start (relay at 30 s, heartbeat at 60 s), not all at once because the last run was long ago.
    for old in (ROOT / "var").glob("bench-celerybeat-schedule*"):
        old.unlink()
    worker = start([str(BIN / "celery"), "-A", "b12care", "worker", "--loglevel", "INFO",
                    "--concurrency", "1", "--hostname", "bench@%h"], ENV, log_to=celery_log)
    beat = start([str(BIN / "celery"), "-A", "b12care", "beat", "--loglevel", "INFO"], ENV,
                 log_to=celery_log)
    port = free_port()
    server = None
    try:
        if not celery_ready(ENV):
            raise SystemExit("the Celery worker did not answer a ping within 30 s")
        drain()
        tasks_before = celery_tasks_run(ENV)
        server = start_gunicorn(port, ENV)
        memory.watch(server.pid)
        result = load.run(f"http://127.0.0.1:{port}", spec, seconds=MIXED_SECONDS,
                          threads=CONNECTIONS)
        memory.done(server.pid)
        log(f"mixed: per kind [ok, errors] {result.by_kind}; the worker ran "
            f"{celery_tasks_run(ENV) - tasks_before} task(s) during the load")
        for why in result.first_errors:
            log(f"mixed error: {why}")
    finally:
        if server:
            stop(server)
        stop(beat)
        stop(worker)
    print(f"bench mixed seconds={MIXED_SECONDS} requests={result.requests} "
          f"errors={result.errors} p50_ms={result.percentile(50):.1f} "
          f"p99_ms={result.percentile(99):.1f}", flush=True)


def run_sweep() -> None:
    # Its own database: 100,000 patients would change the page bench.
    ensure_database(SWEEP_DB_URL)
    env = env_for(SWEEP_DB_URL)
    manage("migrate", "--no-input", env=env)
    log("sweep: 100,000 patients (built once with COPY, reused afterwards)")
    print(manage("bench_sweep", "--patients",
                 os.environ.get("BENCH_SWEEP_PATIENTS", "100000"), env=env).strip(), flush=True)


def main() -> None:
    try:
        for url in (DB_URL, DB_10K_URL, SWEEP_DB_URL):
            require_bench_database(db_name(url))
    except NotABenchDatabase as exc:
        raise SystemExit(str(exc)) from None
    started = time.monotonic()
    (ROOT / "var").mkdir(exist_ok=True)  # the bench beat's schedule file lives there
    memory = WorkerMemory()
    pages_or_mixed = part("PAGES") or part("MIXED")
    if pages_or_mixed or part("SCALE"):
        ensure_database(DB_URL)
        log(f"database {db_name(DB_URL)}; migrating")
        manage("migrate", "--no-input")
        manage("collectstatic", "--no-input")
        log(f"dataset: {PATIENTS} patients, one year each (first run takes a few minutes)")
        manage("seed_bench", "--patients", str(PATIENTS))
    targets = json.loads(manage("bench_targets")) if pages_or_mixed else {}
    if part("PAGES"):
        run_pages(targets["pages"], memory)
    if part("SCALE"):
        run_scale()
    if part("MIXED"):
        run_mixed(targets["mixed"], memory)
    if part("SWEEP"):
        run_sweep()
    if memory.peak_kb:
        print(f"bench memory web_worker_rss_mb={memory.peak_kb / 1024:.0f}", flush=True)
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
