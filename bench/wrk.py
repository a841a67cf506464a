"""Run wrk against one URL and parse what it prints (requests/s, p50/p99, errors)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

POST_SCRIPT = r"""
local counter = 0
local thread_id = 0
function setup(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
function init(args) math.randomseed(os.time() + (tid or 0) * 7919) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  counter = counter + 1
  -- a fresh idempotency token per request: every POST is a new injection, not a replay
  local token = string.format("bench-%d-%d-%d", tid or 0, math.random(1, 2000000000), counter)
  local template = BODY
  local headers = nil
  if COOKIES then
    -- rotate over several signed-in patients, as real traffic would, instead of queueing
    -- every POST on one patient's row locks; BODIES[i] is what patient i sends
    local i = ((counter + (tid or 0) * 7) % #COOKIES) + 1
    headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Cookie"] = COOKIES[i]
    if BODIES then template = BODIES[i] end
  end
  local body = string.gsub(template, "__TOKEN__", token)
  return wrk.format(nil, nil, headers, body)
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(
        (pct, _ms(v, u))
        for pct, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    )
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sock:
        errors += sum(int(x) for x in sock.groups())
    return Result(rps, latency.get("50", 0.0), latency.get("99", 0.0), errors, requests)


def run(url: str, *, cookie: str, seconds: int, connections: int, threads: int = 2,
        post_body: str | None = None, headers: dict[str, str] | None = None,
        cookies: list[str] | None = None, bodies: list[str] | None = None) -> Result:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does this)")
    # A 10 s timeout so a slow page is measured as slow rather than dropped as a socket error.
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", "10s", "-H", f"Cookie: {cookie}"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if post_body is not None:
            if cookies:
                script.write("COOKIES = {" + ", ".join(f"[[{c}]]" for c in cookies) + "}\n")
            if bodies:
                script.write("BODIES = {" + ", ".join(f"[[{b}]]" for b in bodies) + "}\n")
            script.write(f"BODY = [[{post_body}]]\n" + POST_SCRIPT)
            cmd += ["-s", script.name]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    return parse(out)
