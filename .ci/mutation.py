#!/usr/bin/env python3
"""Mutation testing of the safety code (``make mutation``; docs/testing.md).

mutmut 2 mutates each module in place, one mutant at a time, and runs only that module's own
tests against it (so a run takes minutes, not hours). Each module keeps its own mutmut cache
under ``.mutmut/`` so a rerun retests only what changed. Prints the score per module and the
surviving mutants; exits 1 when a module kills fewer than ``TARGET`` of its mutants.

    .venv/bin/python .ci/mutation.py                 # every module
    .venv/bin/python .ci/mutation.py labs/units.py   # one module
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
CACHE_DIR = ROOT / ".mutmut"
SERVER = ROOT / ".ci" / "mutation_server.py"
TARGET = 0.90

# module -> (the tests that exercise it, runner flags). Pure tests run without any pytest
# plugin (no Django) and without conftest fixtures: a few seconds per mutant instead of 20.
PURE = "--noconftest"
# Only pytest-django, and tables built from the models (no migrations): ~3 s per mutant.
DJANGO = "-p pytest_django.plugin --nomigrations"
MODULES = {
    "b12care/alerts/rules.py": (["b12care/alerts/tests/test_rules.py",
                                 "b12care/alerts/tests/test_rule_boundaries.py",
                                 "b12care/alerts/tests/test_rule_messages.py"], PURE),
    "labs/units.py": (["labs/tests/test_units.py", "labs/tests/test_boundaries.py"], PURE),
    "injections/scheduling.py": (["injections/tests/test_scheduling.py"], PURE),
    "b12care/accounts/access.py": (["b12care/accounts/tests/test_access.py"], DJANGO),
}


def run_module(module: str, tests: list[str], flags: str) -> tuple[int, int, list[str], float]:
    cache = CACHE_DIR / (module.replace("/", "_") + ".cache")
    work = ROOT / ".mutmut-cache"
    work.unlink(missing_ok=True)
    if cache.exists():
        shutil.copy(cache, work)
    # Pure tests run in a child forked from a warm pytest (.ci/mutation_server.py): about
    # 0.5 s of CPU per mutant instead of 1.5 s. The Django tests do not run cleanly there yet,
    # so they get a fresh pytest each; any failure answers 1 (mutmut 2 counts only exit 1).
    CACHE_DIR.mkdir(exist_ok=True)
    sock = CACHE_DIR / (module.replace("/", "_") + ".sock")
    pytest_args = f"-x -q -p no:cacheprovider {flags} {' '.join(tests)}"
    if flags == PURE:
        command = [str(BIN / "python"), str(SERVER), "serve", str(sock), module]
        runner = f"{BIN / 'python'} {SERVER} run {sock} {pytest_args}"
    else:
        command = ["sleep", "infinity"]
        runner = (f"env PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {BIN / 'python'} {SERVER} direct "
                  + pytest_args)
    server = subprocess.Popen(command, cwd=ROOT,
                              env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    started = time.monotonic()
    try:
        subprocess.run([str(BIN / "mutmut"), "run", "--paths-to-mutate", module,
                        "--runner", runner, "--tests-dir", str(Path(tests[0]).parent),
                        "--simple-output", "--no-progress"], cwd=ROOT, check=False)
    finally:
        crashed = server.poll() is not None  # then every later mutant "failed": not killed
        server.kill()
    if crashed:
        sys.exit(f"{module}: the test server stopped during the run; the results are void.")
    elapsed = time.monotonic() - started
    report = subprocess.run([str(BIN / "mutmut"), "junitxml", "--untested-policy", "failure"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    results = subprocess.run([str(BIN / "mutmut"), "results"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
    shutil.move(work, cache)
    # No <failure>: killed (or suspicious: killed, slowly); <error>: timed out (10 x the
    # baseline), counted as killed but listed under "Timed out" (on a loaded machine, rerun
    # one with `mutmut run <id>`); <failure>: survived, or not tested yet (a stopped run).
    total = killed = 0
    for case in ET.fromstring(report).iter("testcase"):
        total += 1
        killed += case.find("failure") is None
    survivors = [line for line in results.splitlines() if line.strip()]
    return killed, total, survivors, elapsed


def main(argv: list[str]) -> int:
    chosen = argv or list(MODULES)
    scores = []
    for module in chosen:
        killed, total, survivors, elapsed = run_module(module, *MODULES[module])
        scores.append((module, killed, total, elapsed))
        print(f"\n== {module}: mutmut results\n" + "\n".join(survivors))
    print("\nmodule                          killed / mutants   score   time")
    failed = False
    for module, killed, total, elapsed in scores:
        score = killed / total if total else 0.0  # no mutants: the baseline run failed
        failed |= score < TARGET
        print(f"{module:32}{killed:6} / {total:<7}  {score:6.1%}  {elapsed / 60:5.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
