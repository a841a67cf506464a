#!/usr/bin/env python3
"""A warm pytest for mutation runs (used by ``.ci/mutation.py``; docs/testing.md).

Starting pytest, Celery and Django and compiling the tests costs more CPU than most mutants'
tests. ``serve`` imports those libraries once (never project code, which mutmut changes on disk
between runs) and forks a child for each request; the child runs ``pytest.main`` on the
mutated files as they are on disk, first deleting the mutated module's ``.pyc`` (two
mutants of the same size written within one second would otherwise share a stale one).
``run`` is what mutmut calls: it sends the pytest arguments and exits with the child's exit
code.

    python .ci/mutation_server.py serve SOCKET path/to/module.py &
    python .ci/mutation_server.py run SOCKET -x -q tests/test_x.py
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time


def serve(path: str, module: str) -> None:
    # Compiled modules and rewritten tests are kept (outside the tree), unlike a normal run
    # here (PYTHONDONTWRITEBYTECODE): recompiling them costs more than most mutants' tests.
    sys.dont_write_bytecode = False
    sys.pycache_prefix = os.path.abspath(".mutmut/pycache")
    sys.path.insert(0, os.getcwd())
    import celery  # noqa: F401 - libraries only: a project module imported here would be
    import django  # noqa: F401 - the unmutated one in every child
    import pytest  # noqa: F401
    import pytest_django.plugin  # noqa: F401
    from dateutil import relativedelta, rrule  # noqa: F401

    from b12care import celery_app  # noqa: F401 - the Celery app only (mutates nothing tested)

    gc.freeze()  # the children's collections skip everything imported so far

    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    while True:
        conn, _ = server.accept()
        with conn:
            args = json.loads(conn.makefile().readline())
            code = _run_in_child(args, conn, module)
            if code is not None:
                conn.sendall(f"{code}\n".encode())


def _run_in_child(args: list[str], conn: socket.socket, module: str) -> int | None:
    """The child's exit code; None when mutmut gave up waiting (a hanging mutant): the
    client is gone, so the child is killed and the server is free for the next mutant."""
    pid = os.fork()
    if pid == 0:
        import pytest

        with contextlib.suppress(FileNotFoundError):
            os.unlink(importlib.util.cache_from_source(module))
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os._exit(int(pytest.main(args)))
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if select.select([conn], [], [], 0.05)[0] and not conn.recv(1):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None


def run(path: str, args: list[str]) -> int:
    for _ in range(600):  # the server may still be importing (a loaded machine is slow)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            client.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            client.close()
            time.sleep(0.5)
    client.sendall((json.dumps(args) + "\n").encode())
    # mutmut 2 counts only exit code 1 as "killed": a mutant that breaks the import (pytest's
    # collection error, 2) is caught by the tests too, so any failure answers 1.
    return 1 if int(client.makefile().readline()) else 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "direct":  # a fresh pytest (Django tests); any failure answers 1
        sys.exit(1 if subprocess.run([sys.executable, "-m", "pytest", *sys.argv[2:]]).returncode
                 else 0)
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
