"""The fault scenarios. Each gets a fresh ``Stack`` (its own PostgreSQL, Redis, SMTP sink) and
returns ``(figures, problems)``: the measured figures and every broken invariant."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import checks
from load import Client, Record, percentile, retry_unanswered, run_load
from stack import Stack, kill_group, run_script, wait_for

REDIS_BOUND = 0.5 + 1.0 + 1  # REDIS_CONNECT_TIMEOUT + REDIS_SOCKET_TIMEOUT + 1 s
DRAIN = 150  # seconds for the relay (30 s) and reconciler (20 s) to deliver what is left
REDRIVE_LIMIT = 60  # a killed worker's urgent notification is delivered within this
# FAULTS_STRICT_TIMING=1: judge the frozen-Redis bound even when the machine is too busy to
# meet it without any fault (see redis_frozen).
STRICT_TIMING = os.environ.get("FAULTS_STRICT_TIMING") == "1"


@dataclass
class Durations:
    """Seconds. FAULTS=ci uses the short ones (the whole CI subset stays under 10 minutes)."""
    warmup: float
    redis_stopped: float
    redis_frozen: float
    pg_outages: int
    two_beats: float
    same_form_rounds: int
    kills: int

    @classmethod
    def from_env(cls, mode: str) -> Durations:
        base = (cls(2, 10, 10, 1, 55, 5, 1) if mode == "ci"
                else cls(10, 60, 30, 2, 200, 20, 3))
        for name in base.__dataclass_fields__:
            value = os.environ.get(f"FAULTS_{name.upper()}")
            if value:
                setattr(base, name, type(getattr(base, name))(float(value)))
        return base


# --- helpers -------------------------------------------------------------------------------------
def urgent_email_claimed(stack: Stack, patient_id: int) -> int | None:
    rows = stack.pg.sql(
        "select n.id from alerts_notification n join alerts_alert a on a.id = n.alert_id "
        "where a.patient_id = %s and n.channel = 'email' and n.claimed_at is not null "
        "and n.sent_at is null", (patient_id,))
    return rows[0][0] if rows else None


def pids_talking_to(port: int, pids: list[int]) -> list[int]:
    """Which of ``pids`` hold a TCP connection to 127.0.0.1:``port`` (read from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    found = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    found.append(pid)
                    break
            except OSError:
                continue
    return found


def delivered_at(stack: Stack, notification_id: int) -> float | None:
    wanted = checks.message_id(notification_id)
    times = [at for mid, at in stack.sink.accepted if mid == wanted]
    return min(times) if times else None


def load_window(stack: Stack, client: Client, record: Record, fault, *, warmup: float,
                threads: int = 2) -> dict:
    """Load before, during and after ``fault()`` (which returns when the fault is over);
    then every POST not answered "saved" is sent again with its token."""
    for n in range(4):  # warm both web processes (URLs, templates): not part of the figures
        client.page(n)
    # Red flags before the fault too: what a red flag costs on this machine without a fault.
    _red_flags(client, record, 37, 3)
    stop = threading.Event()
    workers = run_load(client, record, stop=stop, threads=threads)
    time.sleep(warmup)
    began = time.monotonic()
    figures = fault() or {}
    ended = time.monotonic()
    time.sleep(warmup)
    stop.set()
    for thread in workers:
        thread.join(timeout=60)
    figures["retried"] = retry_unanswered(client, record)
    figures["window"] = (began, ended)
    return figures


def label(answer) -> str:
    return "red flag" if answer.token.startswith("faults-rf-") else answer.kind


def during(answers, window) -> list:
    began, ended = window
    return [a for a in answers if began <= a.started <= ended]


def finish(stack: Stack, record: Record, seed: dict, figures: dict, *,
           exactly_once: bool = False) -> tuple[dict, list[str]]:
    problems = []
    try:
        figures["drain_s"] = round(checks.outbox_drained(stack.pg, timeout=DRAIN), 1)
    except AssertionError as exc:
        problems.append(str(exc))
    writes, bad = checks.acknowledged_writes(stack.pg, record, seed)
    notes, bad_notes = checks.notifications(stack.pg, stack.sink, exactly_once=exactly_once)
    return {**figures, **writes, **notes}, problems + bad + bad_notes


def full_stack(stack: Stack) -> None:
    """gunicorn, one worker and beat, started side by side (their start-up is CPU-bound)."""
    stack.launch_web()
    stack.launch_worker()
    stack.start_beat()
    stack.wait_web()
    stack.wait_worker(1)


# --- worker pool child / whole worker killed mid-delivery ----------------------------------------
def _kill_mid_delivery(stack: Stack, client: Client, seed: dict, *, whole: bool, rounds: int,
                       ) -> tuple[dict, list[str]]:
    full_stack(stack)
    record, problems, redrives = Record(), [], []
    for n in range(rounds):
        stack.sink.delay = 8.0  # a slow mail server: the worker is mid-send when killed
        answer = client.post_injection(n, red_flag=True)
        record.add(answer)
        if answer.status != 302:
            problems.append(f"red flag answered {answer.status}")
            continue
        patient_id = seed["patients"][n]["patient_id"]
        wait_for(lambda pid=patient_id: urgent_email_claimed(stack, pid), timeout=60,
                 what="a worker to claim the urgent email", every=0.1)
        row = urgent_email_claimed(stack, patient_id)
        worker = stack.workers[-1]
        if whole:
            killed_at = time.monotonic()
            kill_group(worker, signal.SIGKILL)
            stack.sink.delay = 0.0
            stack.start_worker()
        else:
            senders = pids_talking_to(stack.sink.port, stack.pool_children(worker))
            if not senders:
                problems.append("no pool child was talking to the mail server")
                continue
            killed_at = time.monotonic()
            os.kill(senders[0], signal.SIGKILL)
            stack.sink.delay = 0.0
        try:
            wait_for(lambda r=row: delivered_at(stack, r), timeout=REDRIVE_LIMIT + 30,
                     what="the killed worker's urgent email", every=0.2)
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        redrives.append(delivered_at(stack, row) - killed_at)
    if any(s > REDRIVE_LIMIT for s in redrives):
        problems.append(f"urgent re-drive took {max(redrives):.0f} s (> {REDRIVE_LIMIT} s)")
    figures, more = finish(stack, record, seed, {"kills": rounds})
    figures["redrive_s"] = [round(s, 1) for s in redrives]
    return figures, problems + more


def pool_child_kill(stack, client, seed, d: Durations):
    return _kill_mid_delivery(stack, client, seed, whole=False, rounds=d.kills)


def worker_kill(stack, client, seed, d: Durations):
    return _kill_mid_delivery(stack, client, seed, whole=True, rounds=d.kills)


# --- Redis stopped / frozen under load -----------------------------------------------------------
def _red_flags(client: Client, record: Record, first: int, count: int) -> None:
    for n in range(first, first + count):
        record.add(client.post_injection(n, red_flag=True))


def redis_stopped(stack, client, seed, d: Durations):
    full_stack(stack)
    record = Record()
    health = []

    def fault():
        stack.redis.stop()
        _red_flags(client, record, 30, 3)  # alerts raised while the broker is gone
        end = time.monotonic() + d.redis_stopped
        while time.monotonic() < end:
            health.append(client.health())
            time.sleep(2)
        stack.redis.start()

    figures = load_window(stack, client, record, fault, warmup=d.warmup)
    window = figures.pop("window")
    out = during(record.of("post"), window)
    figures |= {"outage_s": d.redis_stopped,
                "red_flags_before_s": [round(a.seconds, 1) for a in record.of("post")
                                       if label(a) == "red flag" and a.started < window[0]],
                "post_p50_s": round(percentile([a.seconds for a in out], 50), 2),
                "post_max_s": round(max((a.seconds for a in out), default=0), 2),
                "over_2.5_s": [(label(a), a.status, round(a.seconds, 1)) for a in out
                               if a.seconds > REDIS_BOUND],
                "health": sorted({a.status for a in health})}
    figures, problems = finish(stack, record, seed, figures)
    if figures["failed_answers"]:
        problems.append(f"{figures['failed_answers']} POSTs not answered 'saved' with Redis down")
    return figures, problems


def redis_frozen(stack, client, seed, d: Durations):
    full_stack(stack)
    record = Record()
    health = []

    def fault():
        stack.redis.freeze()
        try:
            _red_flags(client, record, 30, 3)
            end = time.monotonic() + d.redis_frozen
            while time.monotonic() < end:
                health.append(client.health())
                time.sleep(2)
        finally:
            stack.redis.thaw()

    figures = load_window(stack, client, record, fault, warmup=d.warmup)
    window = figures.pop("window")
    answers = record.of("post") + record.of("page")
    out = during(answers, window)
    slowest = max((a.seconds for a in out), default=0)
    # The machine's own noise: the slowest answer before the freeze (2 shared cores).
    noise = max((a.seconds for a in answers if a.started < window[0]), default=0)
    figures |= {"freeze_s": d.redis_frozen, "requests_in_freeze": len(out),
                "max_s": round(slowest, 2),
                "p50_s": round(percentile([a.seconds for a in out], 50), 2),
                "max_before_s": round(noise, 2),
                "red_flags_before_s": [round(a.seconds, 1) for a in answers
                                       if label(a) == "red flag" and a.started < window[0]],
                "over_bound": [(label(a), a.status, round(a.seconds, 1)) for a in out
                               if a.seconds > REDIS_BOUND],
                "health_max_s": round(max((a.seconds for a in health), default=0), 2)}
    figures, problems = finish(stack, record, seed, figures)
    if slowest > REDIS_BOUND:
        problem = f"a request took {slowest:.1f} s in the freeze (> {REDIS_BOUND} s)"
        if noise > REDIS_BOUND and not STRICT_TIMING:
            # The machine itself answered slower than the bound before any fault (shared
            # CPU): the bound cannot be judged on this run. Reported, not failed.
            figures["timing_not_judged"] = f"{problem}; {noise:.1f} s before the freeze"
        else:
            problems.append(problem)
    if figures["failed_answers"]:
        problems.append(f"{figures['failed_answers']} POSTs not answered 'saved' in the freeze")
    bad_health = [a for a in health if a.status != 503 or b'"degraded"' not in a.body
                  or a.seconds > 1]
    if bad_health:
        problems.append(f"{len(bad_health)} /healthz answers were not a JSON 503 within 1 s")
    return figures, problems


# --- PostgreSQL restarted under load -------------------------------------------------------------
def postgres_restart(stack, client, seed, d: Durations):
    full_stack(stack)
    record = Record()
    outages = []

    def fault():
        for _ in range(d.pg_outages):
            began = time.monotonic()
            stack.pg.restart()
            outages.append(round(time.monotonic() - began, 1))
            time.sleep(2 * d.warmup)

    figures = load_window(stack, client, record, fault, warmup=d.warmup)
    figures.pop("window")
    answers = record.of("post") + record.of("page")
    figures |= {"restarts_s": outages,
                "answered_503": sum(1 for a in answers if a.status == 503),
                "answered_500": sum(1 for a in answers if a.status == 500),
                "no_answer": sum(1 for a in answers if a.status == 0)}
    figures, problems = finish(stack, record, seed, figures)
    if figures["answered_500"]:
        problems.append(f"{figures['answered_500']} bare 500s during the restart (want 503)")
    return figures, problems


# --- Two beats -----------------------------------------------------------------------------------
def two_beats(stack, client, seed, d: Durations):
    full_stack(stack)
    stack.start_beat()
    logs = [stack.folder / f"beat{i}.log" for i in (1, 2)]
    wait_for(lambda: all(b"Starting..." in log.read_bytes() for log in logs), timeout=60,
             what="both beats to start")
    record = Record()
    end = time.monotonic() + d.two_beats
    n = 0
    while time.monotonic() < end:
        _red_flags(client, record, n % len(seed["patients"]), 1)
        n += 1
        time.sleep(max(d.two_beats / 20, 1))
    figures, problems = finish(stack, record, seed, {"seconds": d.two_beats},
                               exactly_once=True)
    # relay every 30 s, reconcile every 20 s: each beat sends both, several times
    sent = [log.read_text().count("Sending due task alerts-") for log in logs]
    figures["delivery_tasks_per_beat"] = sent
    if min(sent) < 3:
        problems.append(f"the beats did not both run several delivery cycles ({sent})")
    return figures, problems


# --- The same form ten times at once -------------------------------------------------------------
def same_form_10x(stack, client, seed, d: Durations):
    stack.start_web()
    record = Record()
    for n in range(d.same_form_rounds):
        token = f"faults-same-{n}"
        barrier = threading.Barrier(10)

        def send(n=n, token=token, barrier=barrier):
            barrier.wait()
            record.add(client.post_injection(n, token))

        threads = [threading.Thread(target=send) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    writes, problems = checks.acknowledged_writes(stack.pg, record, seed)
    stored = sum(checks.stored_tokens(stack.pg).values())
    if stored != d.same_form_rounds:
        problems.append(f"{stored} injections stored for {d.same_form_rounds} forms")
    return {"rounds": d.same_form_rounds, "posts": writes["posts"], "stored": stored,
            "statuses": writes["statuses"]}, problems


# --- The clock jumps forward 2 h and back 1 h for the reminder sweep -----------------------------
def clock_jump(stack, client, seed, d: Durations):
    stack.start_worker()
    out = run_script(stack.env, "clock.py", "8")
    until = dt.datetime.fromisoformat(out["until"])
    figures, problems = finish(stack, Record(), seed, {"sweeps": out["sweeps"],
                                                       "doses": out["doses"]})
    steps, bad = checks.reminders(stack.pg, until=until)
    if not steps["steps"].get("sent"):
        bad.append("no reminder was sent at all")
    return {**figures, **steps}, problems + bad
