"""The processes of one fault scenario, all on loopback and all its own: a PostgreSQL cluster
(initdb + pg_ctl in a temporary folder), a redis-server, an SMTP sink, gunicorn, Celery workers
and beat. The shared PostgreSQL (5432) and Redis (6379) are never touched.

The first scenario builds a migrated and seeded cluster once (``Template``); each scenario then
starts its own postmaster on a copy of it, so a scenario costs seconds, not a migration run.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(os.environ.get("FAULTS_VENV_BIN", ROOT / ".venv" / "bin"))
PG_USER = "postgres"  # initdb refuses root: the cluster runs as this system user


def log(message: str) -> None:
    print(f"  . {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float, what: str, every: float = 0.2) -> float:
    """Poll ``check`` until true; returns the seconds waited, raises on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - started
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.3):
        return True
    return False


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise SystemExit(f"no {name} under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return found[-1]


def as_pg_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_USER, "--", *argv]
    return argv


# --- PostgreSQL ----------------------------------------------------------------------------------
class OwnPostgres:
    """A cluster in its own folder, listening on 127.0.0.1:<port> only, trust auth."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port or free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/faults"

    @classmethod
    def create(cls) -> OwnPostgres:
        folder = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        shutil.chown(folder, PG_USER)
        own = cls(folder)
        subprocess.run(as_pg_user([pg_bin("initdb"), "-D", str(own.data), "-U", "postgres",
                                   "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL)
        own.start()
        subprocess.run([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(own.port), "-U",
                        "postgres", "faults"], check=True)
        return own

    def copy(self) -> OwnPostgres:
        """A new cluster from this (stopped) one's files, on another port."""
        folder = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        shutil.copytree(self.data, folder / "data", symlinks=True)
        subprocess.run(["chown", "-R", PG_USER, str(folder)], check=True)
        os.chmod(folder / "data", 0o700)
        return OwnPostgres(folder)

    def start(self) -> None:
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        subprocess.run(as_pg_user([pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                                   str(self.folder / "server.log"), "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(as_pg_user([pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                                   "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres",
                                dbname="faults", connect_timeout=5)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# --- Redis ---------------------------------------------------------------------------------------
class OwnRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = tempfile.mkdtemp(prefix="faults-redis-")
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), timeout=10, what="redis-server")

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- SMTP sink -----------------------------------------------------------------------------------
class SmtpSink:
    """A minimal SMTP server on loopback that records each accepted message's Message-ID.

    ``delay`` seconds are waited before a message is accepted (a slow mail server), so a test
    can kill the sending worker mid-delivery. A message is recorded only if the client is still
    there to hear the "250" (a killed worker's half-sent message does not count as delivered).
    """

    def __init__(self) -> None:
        self.delay = 0.0
        self.accepted: list[tuple[str, float]] = []  # (Message-ID, monotonic time)
        self._lock = threading.Lock()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(32)
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(30)
            reader = conn.makefile("rb")
            conn.sendall(b"220 faults sink\r\n")
            while line := reader.readline():
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250 faults\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    self._data(conn, reader)
                elif command == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    def _data(self, conn: socket.socket, reader) -> None:
        message_id = ""
        while (line := reader.readline()) not in (b".\r\n", b".\n", b""):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        time.sleep(self.delay)
        conn.setblocking(False)
        try:
            if conn.recv(1, socket.MSG_PEEK) == b"":
                return  # the client died while we waited: not delivered
        except BlockingIOError:
            pass
        finally:
            conn.setblocking(True)
        conn.sendall(b"250 accepted\r\n")
        with self._lock:
            self.accepted.append((message_id, time.monotonic()))

    def ids(self) -> list[str]:
        with self._lock:
            return [mid for mid, _ in self.accepted]

    def close(self) -> None:
        self._server.close()


# --- The application's processes -----------------------------------------------------------------
def start(argv: list[str], env: dict, log_to: Path) -> subprocess.Popen:
    out = open(log_to, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True, stdout=out,
                            stderr=subprocess.STDOUT)


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 20) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    with contextlib.suppress(OSError):
        return [int(p) for p in path.read_text().split()]
    return []


class Stack:
    """One scenario's processes. ``env`` is the project's settings, via environment only."""

    def __init__(self, pg: OwnPostgres, name: str) -> None:
        self.pg = pg
        self.name = name
        self.redis = OwnRedis()
        self.sink = SmtpSink()
        self.folder = Path(tempfile.mkdtemp(prefix=f"faults-{name}-"))
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.beats: list[subprocess.Popen] = []
        self.env = app_env(pg.url, self.redis.url, self.sink.port, self.folder,
                           site=self.base)

    def start_web(self) -> None:
        self.launch_web()
        self.wait_web()

    def launch_web(self) -> None:
        self.web = start([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "b12care.wsgi",
                          "--bind", f"127.0.0.1:{self.web_port}", "--access-logfile", "-",
                          "--access-logformat", '%(t)s %(m)s %(U)s %(s)s %(L)ss'], self.env,
                         self.folder / "web.log")

    def wait_web(self) -> None:
        wait_for(lambda: port_open(self.web_port), timeout=90, what="gunicorn")

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen:
        worker = self.launch_worker(concurrency)
        self.wait_worker(len(self.workers))
        return worker

    def launch_worker(self, concurrency: int = 2) -> subprocess.Popen:
        n = len(self.workers) + 1
        worker = start([str(VENV_BIN / "celery"), "-A", "b12care", "worker", "--loglevel",
                        "INFO", "--concurrency", str(concurrency), "-n", f"faults{n}@%h",
                        "--without-gossip", "--without-mingle"], self.env,
                       self.folder / f"worker{n}.log")
        self.workers.append(worker)
        return worker

    def wait_worker(self, n: int) -> None:
        log_file = self.folder / f"worker{n}.log"
        wait_for(lambda: b"ready." in log_file.read_bytes(), timeout=90,
                 what=f"worker {n} to be ready")

    def start_beat(self) -> subprocess.Popen:
        n = len(self.beats) + 1
        beat = start([str(VENV_BIN / "celery"), "-A", "b12care", "beat", "--loglevel", "INFO",
                      "-s", str(self.folder / f"beat{n}-schedule")], self.env,
                     self.folder / f"beat{n}.log")
        self.beats.append(beat)
        return beat

    def pool_children(self, worker: subprocess.Popen) -> list[int]:
        return children(worker.pid)

    def close(self, keep_logs: bool = False) -> None:
        # The checks are done: no graceful shutdown to wait for (a warm Celery shutdown and
        # gunicorn's graceful timeout cost seconds per scenario).
        for proc in [*self.beats, *self.workers, *([self.web] if self.web else [])]:
            kill_group(proc, signal.SIGKILL)
        self.redis.remove()
        self.sink.close()
        self.pg.remove()
        if not keep_logs:
            shutil.rmtree(self.folder, ignore_errors=True)

    def tail_logs(self, lines: int = 30) -> str:
        out = []
        for path in sorted(self.folder.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)


SECRET = "faults-only-" + secrets.token_urlsafe(48)


def app_env(database_url: str, redis_url: str, smtp_port: int, folder: Path, *,
            site: str = "http://127.0.0.1") -> dict:
    """The project's settings as deployed (DEBUG off: the 503 page, not a debug page), pointed
    at this scenario's own services."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    return {**keep,
            "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "b12care.settings",
            "DEBUG": "false", "SECRET_KEY": SECRET, "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": site, "SECURE_COOKIES": "false", "STATIC_MANIFEST": "false",
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "SMS_BACKEND": "b12care.alerts.channels.sms.FileBackend",
            "SMS_FILE_PATH": str(folder / "sms.jsonl"),
            "WEB_CONCURRENCY": os.environ.get("FAULTS_WEB_CONCURRENCY", "2"),
            "WEB_THREADS": os.environ.get("FAULTS_WEB_THREADS", "4"),
            "CELERY_CONCURRENCY": "2", "LOG_LEVEL": "WARNING"}


def manage(env: dict, *args: str) -> str:
    done = subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def run_script(env: dict, script: str, *args: str) -> dict:
    done = subprocess.run([str(VENV_BIN / "python"), str(Path(__file__).parent / script), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
