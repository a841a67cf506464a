"""The mixed-load generator: threads that rotate over patients' and clinicians' requests.

Loopback only, bounded in time and in count, stops by itself. Each request knows what it is,
so an error is anything but the status that request must get: 200 for pages, 302 for a POST
that saved (a form shown again with errors is a 200, and counts as an error here).
"""

from __future__ import annotations

import http.client
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# One cycle of ten requests: patients read home (3) and post an injection (1) and a diary
# check-in (1); the clinician reads the dashboard (2) and patient reviews (3).
CYCLE = ["home", "dashboard", "review", "log_injection", "home", "review", "diary",
         "dashboard", "home", "review"]
MAX_REQUESTS = 200_000  # a bound on top of the time limit


@dataclass
class Result:
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [ok, errors]
    first_errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _request(kind: str, n: int, spec: dict) -> tuple[str, str, dict, str | None, int]:
    """(method, path, headers, body, expected status) of the ``n``-th request of ``kind``."""
    patients = spec["patient_cookies"]
    patient = patients[n % len(patients)]
    if kind == "home":
        return "GET", "/me/", {"Cookie": patient}, None, 200
    if kind == "dashboard":
        return "GET", "/clinic/", {"Cookie": spec["clinician_cookie"]}, None, 200
    if kind == "review":
        paths = spec["review_paths"]
        return "GET", paths[n % len(paths)], {"Cookie": spec["clinician_cookie"]}, None, 200
    post = {"Cookie": patient, "X-CSRFToken": spec["csrf"],
            "Content-Type": "application/x-www-form-urlencoded"}
    if kind == "log_injection":
        # a fresh token per POST: every one is a new injection, not a replay
        body = spec["log_bodies"][n % len(patients)].replace("__TOKEN__",
                                                             f"mixed-{secrets.token_hex(8)}")
        return "POST", "/injections/log/", post, body, 302
    if kind == "diary":
        return "POST", "/diary/", post, spec["diary_body"], 302
    raise ValueError(kind)


def run(base_url: str, spec: dict, *, seconds: float, threads: int = 8) -> Result:
    parts = urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"the load generator only talks to loopback, not {parts.hostname}")
    result = Result(seconds=seconds)
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.monotonic() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        local: list[tuple[str, float, bool, str]] = []
        step = offset
        while time.monotonic() < deadline:
            n = next(counter)
            if n >= MAX_REQUESTS:
                break
            kind = CYCLE[step % len(CYCLE)]
            step += 1
            method, path, headers, body, expected = _request(kind, n, spec)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == expected
                why = "" if ok else f"{method} {path} -> {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                ok, why = False, f"{method} {path} -> {type(exc).__name__}: {exc}"
            local.append((kind, (time.perf_counter() - started) * 1000, ok, why))
        conn.close()
        with lock:
            for kind, ms, ok, why in local:
                result.latencies_ms.append(ms)
                counts = result.by_kind.setdefault(kind, [0, 0])
                counts[0 if ok else 1] += 1
                if not ok:
                    result.errors += 1
                    if len(result.first_errors) < 5:
                        result.first_errors.append(why)

    pool = [threading.Thread(target=worker, args=(i * 3,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 60)
    return result
