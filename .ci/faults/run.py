"""`make faults`: fault scenarios with real processes on loopback (docs/reliability.md).

    .venv/bin/python .ci/faults/run.py [scenario ...]     # FAULTS=ci: the short CI subset

Each scenario starts its own PostgreSQL (a copy of a cluster migrated once at the start) and
its own redis-server on spare ports, an SMTP sink, gunicorn, Celery workers and beat from the
project's virtualenv, applies its fault, then asserts the invariants in SQL. One line per
scenario with its figures; exit status 1 if any invariant broke. Durations: FAULTS_<NAME>
(seconds), e.g. FAULTS_REDIS_STOPPED=60; FAULTS_KEEP_LOGS=1 keeps each scenario's logs.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scenarios
from load import Client
from stack import OwnPostgres, Stack, app_env, log, manage, run_script

ALL = ["same_form_10x", "pool_child_kill", "worker_kill", "redis_frozen", "redis_stopped",
       "postgres_restart", "two_beats", "clock_jump"]
CI = ALL  # every scenario, with the short durations of FAULTS=ci
PATIENTS = 40
SESSION_REUSE = 15 * 60  # seconds; a patient's session ends after 30 idle minutes


def template() -> OwnPostgres:
    """A cluster with the schema and the fault-run users, built once and copied per scenario."""
    started = time.monotonic()
    pg = OwnPostgres.create()
    env = app_env(pg.url, "redis://127.0.0.1:1/0", 1, pg.folder)
    manage(env, "migrate", "--no-input")
    pg.seed = run_script(env, "seed.py", str(PATIENTS))  # users, and sessions (30 min idle)
    pg.seeded_at = time.monotonic()
    pg.stop()
    log(f"template cluster migrated and seeded in {time.monotonic() - started:.0f} s")
    return pg


def one(name: str, base: OwnPostgres, durations) -> bool:
    pg = base.copy()
    pg.start()
    stack = Stack(pg, name)
    started = time.monotonic()
    ok = keep = False
    try:
        seed = base.seed  # the template's sessions, while they are far from idle expiry
        if time.monotonic() - base.seeded_at > SESSION_REUSE:
            seed = run_script(stack.env, "seed.py", str(PATIENTS))
        figures, problems = getattr(scenarios, name)(stack, Client(stack.base, seed), seed,
                                                     durations)
        ok = not problems
    except (Exception, SystemExit) as exc:  # one broken scenario must not hide the others
        figures, problems = {}, [f"{type(exc).__name__}: {exc}"]
        traceback.print_exc()
    finally:  # also on Ctrl-C: no process of ours outlives the run
        keep = bool(os.environ.get("FAULTS_KEEP_LOGS")) or not ok
        if not ok:
            print(stack.tail_logs(), flush=True)
        stack.close(keep_logs=keep)
    took = time.monotonic() - started
    print(f"{'PASS' if ok else 'FAIL'} {name} ({took:.0f} s): {json.dumps(figures, default=str)}",
          flush=True)
    for problem in problems:
        print(f"     ! {problem}", flush=True)
    if keep:
        print(f"     logs: {stack.folder}", flush=True)
    return ok


def main() -> int:
    for binary in ("redis-server", "runuser"):
        if shutil.which(binary) is None:
            raise SystemExit(f"make faults needs {binary}")
    mode = os.environ.get("FAULTS", "full")
    names = sys.argv[1:] or (CI if mode == "ci" else ALL)
    unknown = set(names) - set(ALL)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}; known: {ALL}")
    durations = scenarios.Durations.from_env(mode)
    print(f"== fault scenarios ({mode}): {', '.join(names)}", flush=True)
    started = time.monotonic()
    base = template()
    try:
        results = [one(name, base, durations) for name in names]
    finally:
        base.remove()
    failed = len(results) - sum(results)
    print(f"== {len(results) - failed} passed, {failed} failed in "
          f"{time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
