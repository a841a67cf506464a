"""HTTP load for the fault scenarios: threads posting injections (each with its own form token,
as the form gives one) and reading pages, on loopback only.

Every POST is remembered with its token, status and time, so the checks can ask PostgreSQL what
each answer promised: a 302 ("saved") must be stored exactly once; anything else must either be
stored nowhere or, when sent again with the same token, end up stored once (safe retries).
"""

from __future__ import annotations

import datetime as dt
import http.client
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit


@dataclass
class Answer:
    kind: str  # "post", "page", "health"
    token: str
    status: int  # 0: no answer (connection error or client timeout)
    seconds: float
    started: float
    body: bytes = b""
    who: int = 0  # which patient (a form token is unique per patient)


@dataclass
class Record:
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def of(self, kind: str) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.kind == kind]


def injection_body(token: str, *, red_flag: bool = False) -> str:
    # A wall time 26 h ago is in the past in every zone; a red flag is a breathing difficulty
    # half an hour ago (an urgent alert, the emergency guidance page).
    ago = dt.timedelta(minutes=30) if red_flag else dt.timedelta(hours=26)
    taken = (dt.datetime.now(dt.UTC) - ago).strftime("%Y-%m-%dT%H:%M")
    fields = [("taken_at", taken), ("site", "left_vastus_lateralis"),
              ("administered_by", "nurse"), ("product", "hydroxocobalamin"), ("dose", "1"),
              ("unit", "mg"), ("pain", "1"), ("form_token", token)]
    if red_flag:
        fields.append(("systemic_reactions", "breathing_difficulty"))
    return urlencode(fields)


CONFIRMED_FOR = re.compile(rb'name="confirmed_for" value="([0-9a-f]+)"')


class Client:
    def __init__(self, base: str, seed: dict, timeout: float = 30) -> None:
        parts = urlsplit(base)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("fault load only talks to loopback")
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.csrf = seed["csrf"]
        self.patients = seed["patients"]

    def request(self, method: str, path: str, *, cookie: str = "", body: str | None = None,
                kind: str = "page", token: str = "") -> Answer:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers |= {"X-CSRFToken": self.csrf,
                        "Content-Type": "application/x-www-form-urlencoded"}
        started = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status, data = 0, b""
        finally:
            conn.close()
        return Answer(kind, token, status, time.monotonic() - started, started, data)

    def post_injection(self, n: int, token: str | None = None, *, red_flag: bool = False,
                       ) -> Answer:
        token = token or f"faults-{'rf-' if red_flag else ''}{secrets.token_hex(8)}"
        who = n % len(self.patients)
        cookie, body = self.patients[who]["cookie"], injection_body(token, red_flag=red_flag)
        answer = self.request("POST", "/injections/log/", cookie=cookie, body=body, kind="post",
                              token=token)
        confirm = CONFIRMED_FOR.search(answer.body) if answer.status == 200 else None
        if confirm:
            # The guard rails ask about a further injection close to another (or early/extra):
            # answer as a patient would, ticking "Yes, this is right" (injections/plausibility.py).
            body += "&" + urlencode([("timing", "extra"), ("confirm", "on"),
                                     ("confirmed_for", confirm.group(1).decode())])
            answer = self.request("POST", "/injections/log/", cookie=cookie, body=body,
                                  kind="post", token=token)
        answer.who = who
        return answer

    def page(self, n: int) -> Answer:
        return self.request("GET", "/me/", cookie=self.patients[n % len(self.patients)]["cookie"])

    def health(self) -> Answer:
        return self.request("GET", "/healthz", kind="health")


def run_load(client: Client, record: Record, *, stop: threading.Event, threads: int = 2,
             pause: float = 0.2) -> list[threading.Thread]:
    """Start ``threads`` threads alternating a POST and a page read until ``stop`` is set.
    ``pause`` between requests keeps the CPU use modest on a shared machine."""

    def loop(offset: int) -> None:
        n = offset
        while not stop.is_set():
            record.add(client.post_injection(n))
            record.add(client.page(n))
            n += threads
            stop.wait(pause)

    started = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(threads)]
    for thread in started:
        thread.start()
    return started


def retry_unanswered(client: Client, record: Record, *, attempts: int = 5) -> int:
    """Send every POST that was not answered "saved" again, with its own token (what the page
    tells the patient to do). Returns how many needed a retry."""
    retried = 0
    for answer in record.of("post"):
        if answer.status == 302:
            continue
        retried += 1
        for _ in range(attempts):
            again = client.post_injection(answer.who, answer.token)
            record.add(Answer("retry", answer.token, again.status, again.seconds, again.started,
                              who=answer.who))
            if again.status == 302:
                break
            time.sleep(1)
    return retried


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
