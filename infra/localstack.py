"""The team stack as plain processes on one machine, without Docker.

PostgreSQL (one database each for Prefect and MLflow), `prefect server start`, `mlflow server`,
a `process` work pool with `prefect worker start`, and optionally a Dask scheduler with
workers. Every server binds to 127.0.0.1 on a free port. The integration tests use this module;
people can use it too:

    python infra/localstack.py up --dir ~/.zoo-team      # Ctrl-C stops everything

Each process runs in its own session (process group) and is stopped by that id; nothing is
stopped by name. PostgreSQL refuses to run as root, so under root it runs as the `postgres`
user that Debian's package creates. Stdlib only, so it imports without the project installed.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # prefect, mlflow and dask come from this environment
POOL = "zoo"
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
         "MLFLOW_DISABLE_TELEMETRY": "true"}


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir() -> Path:
    """Directory of initdb/postgres: $PG_BINDIR, else the newest /usr/lib/postgresql/*/bin."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise StackError("PostgreSQL server binaries not found: `apt-get install postgresql` "
                     "(Debian) or set PG_BINDIR")


def descendants(pid: int) -> list[int]:
    """PIDs of every process below `pid` (Linux /proc), children first found first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return 200 <= r.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def http_json(method: str, url: str, body: object | None = None, timeout: float = 30.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


@dataclass
class Service:
    """One long-running process: started in its own session, logged to a file, stopped by PID."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path = REPO
    user: str | None = None  # run as this user (PostgreSQL under root)
    stop_signal: int = signal.SIGTERM
    health_url: str | None = None
    ready: Callable[[], bool] | None = field(default=None, repr=False)  # else health_url
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            out.write(f"\n==== start {time.strftime('%H:%M:%S')}: {self.argv[0]}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, user=self.user)
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, check=None, timeout: float = 120.0) -> None:
        """Poll `check()` (default: the health URL answers 2xx) until true or the process dies."""
        check = check or self.ready or (lambda: http_ok(self.health_url))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise StackError(f"{self.name} exited with {self.proc.returncode} while "
                                 f"starting; log {self.log}:\n{self.tail()}")
            if check():
                return
            time.sleep(0.3)
        raise StackError(f"{self.name} not ready after {timeout:.0f} s; log {self.log}:\n"
                         f"{self.tail()}")

    def stop(self, timeout: float = 20.0, sig: int | None = None) -> None:
        """Signal the process group, wait, then SIGKILL whatever is left of it."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the leader's pid
        # Processes it started in sessions of their own (Prefect's flow-run processes) are
        # outside the group: note them now, kill leftovers by PID after the group is gone.
        below = descendants(pgid) if self.alive() else []
        for s in (sig or self.stop_signal, signal.SIGKILL):
            try:
                os.killpg(pgid, s)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
            try:  # the leader is gone; children left in the group get the same signal
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        self.proc.wait(timeout=5)
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self) -> None:
        """An abrupt crash: SIGKILL to the whole group, no clean shutdown."""
        self.stop(timeout=10, sig=signal.SIGKILL)

    def since_start(self) -> str:
        """The log written since the last start (restarts append to the same file)."""
        try:
            return self.log.read_text(errors="replace").rsplit("\n==== start ", 1)[-1]
        except OSError:
            return ""

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _log_says(svc: Service, text: str) -> Callable[[], bool]:
    return lambda: text in svc.since_start()


class Stack:
    """PostgreSQL + Prefect server + MLflow server + process worker (+ Dask), all on 127.0.0.1.

    `root` holds every data directory, log and credential file; with `keep=False` it is
    removed by `stop()`. Passwords are generated per stack and never written to logs.
    """

    def __init__(self, root: Path | None = None, *, dask_workers: int = 0, keep: bool = False,
                 ui: bool = False, extra_env: dict[str, str] | None = None):
        self.keep = keep or root is not None
        self.root = Path(root or tempfile.mkdtemp(prefix="zoo-stack-")).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs = self.root / "logs"
        self.dask_workers = dask_workers
        self.ui = ui
        self.extra_env = dict(extra_env or {})
        self.services: dict[str, Service] = {}
        secrets_file = self.root / "secrets.json"
        if secrets_file.exists():
            self.secrets = json.loads(secrets_file.read_text())
        else:
            self.secrets = {k: secrets.token_urlsafe(24) for k in ("superuser", "prefect",
                                                                   "mlflow")}
            fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(self.secrets, out)
        ports_file = self.root / "ports.json"
        if ports_file.exists():  # a kept stack comes back on the same ports
            self.ports = json.loads(ports_file.read_text())
        else:
            self.ports = {k: free_port() for k in ("postgres", "prefect", "mlflow", "dask")}
            ports_file.write_text(json.dumps(self.ports))

    # ---- addresses -------------------------------------------------------------------
    @property
    def prefect_api(self) -> str:
        return f"http://127.0.0.1:{self.ports['prefect']}/api"

    @property
    def mlflow_uri(self) -> str:
        return f"http://127.0.0.1:{self.ports['mlflow']}"

    @property
    def dask_address(self) -> str:
        return f"tcp://127.0.0.1:{self.ports['dask']}"

    def _db_url(self, driver: str, db: str) -> str:
        return (f"{driver}://{db}:{self.secrets[db]}@127.0.0.1:{self.ports['postgres']}/{db}")

    def client_env(self) -> dict[str, str]:
        """What a worker, a Dask worker or a user's shell needs to use this stack."""
        env = {**QUIET, "PREFECT_API_URL": self.prefect_api,
               "MLFLOW_TRACKING_URI": self.mlflow_uri, "ZOO_HOME": str(self.root / "zoo-home")}
        if self.dask_workers:
            env["DASK_SCHEDULER_ADDRESS"] = self.dask_address
        return {**env, **self.extra_env}

    def _env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PREFECT_", "MLFLOW_", "DASK_"))}
        return {**env, **QUIET, **extra}

    # ---- services --------------------------------------------------------------------
    def _add(self, svc: Service) -> Service:
        self.services[svc.name] = svc
        return svc

    def start_postgres(self) -> None:
        bindir, data = pg_bindir(), self.root / "pgdata"
        as_root = os.geteuid() == 0
        user = "postgres" if as_root else None
        sock = self.root / "pgsock"
        sock.mkdir(exist_ok=True)
        fresh = not (data / "PG_VERSION").exists()
        if as_root:  # PostgreSQL's own folders belong to it; the rest stays private to root
            data.mkdir(mode=0o700, exist_ok=True)
            for folder in (data, sock):
                shutil.chown(folder, user="postgres", group="postgres")
            self.root.chmod(0o711)  # traversable, not listable
        if fresh:
            pwfile = sock / "initdb.pw"  # read by initdb (as postgres), deleted right after
            with os.fdopen(os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                           "w") as out:
                out.write(self.secrets["superuser"] + "\n")
            if as_root:
                shutil.chown(pwfile, user="postgres")
            try:
                out = subprocess.run(
                    [str(bindir / "initdb"), "-D", str(data), "-U", "zoo", "-E", "UTF8",
                     "--auth=scram-sha-256", f"--pwfile={pwfile}", "--no-sync"],
                    check=False, user=user, capture_output=True, text=True, cwd=self.root)
            finally:
                pwfile.unlink()
            if out.returncode:
                raise StackError(f"initdb failed: {out.stderr[-2000:]}")
        svc = self._add(Service(
            "postgres", [str(bindir / "postgres"), "-D", str(data),
                         "-p", str(self.ports["postgres"]), "-c", "listen_addresses=127.0.0.1",
                         "-c", f"unix_socket_directories={sock}",
                         # a throw-away cluster (tests) trades durability for speed
                         *([] if self.keep else ["-c", "fsync=off", "-c",
                                                 "synchronous_commit=off",
                                                 "-c", "full_page_writes=off"])],
            self._env(), self.logs / "postgres.log", cwd=self.root, user=user,
            stop_signal=signal.SIGINT))  # SIGINT is PostgreSQL's "fast shutdown"
        svc.start()
        pg_env = self._env(PGHOST="127.0.0.1", PGPORT=str(self.ports["postgres"]),
                           PGUSER="zoo", PGPASSWORD=self.secrets["superuser"])
        svc.ready = lambda: subprocess.run([str(bindir / "pg_isready"), "-q", "-d", "postgres"],
                                           check=False, env=pg_env).returncode == 0
        svc.wait_ready(timeout=60)
        if fresh:
            out = subprocess.run(["sh", str(REPO / "infra" / "postgres-init.sh")],
                                 env={**pg_env, "POSTGRES_USER": "zoo",
                                      "PREFECT_DB_PASSWORD": self.secrets["prefect"],
                                      "MLFLOW_DB_PASSWORD": self.secrets["mlflow"]},
                                 check=False, capture_output=True, text=True)
            if out.returncode:
                raise StackError(f"postgres-init.sh failed: {out.stderr[-2000:]}")

    def prefect_server(self) -> Service:
        return self.services.get("prefect-server") or self._add(Service(
            "prefect-server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(self.ports["prefect"]),
                               "--ui" if self.ui else "--no-ui"],
            self._env(PREFECT_HOME=str(self.root / "prefect-server"),
                      PREFECT_API_DATABASE_CONNECTION_URL=self._db_url("postgresql+asyncpg",
                                                                       "prefect")),
            self.logs / "prefect-server.log", health_url=f"{self.prefect_api}/health"))

    def mlflow_server(self) -> Service:
        return self.services.get("mlflow-server") or self._add(Service(
            "mlflow-server", [str(BIN / "mlflow"), "server", "--host", "127.0.0.1",
                              "--port", str(self.ports["mlflow"]), "--workers", "1",
                              "--artifacts-destination", str(self.root / "mlartifacts")],
            # the database URL goes in the environment, not argv, so `ps` does not show it
            self._env(MLFLOW_BACKEND_STORE_URI=self._db_url("postgresql", "mlflow"),
                      MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false"),
            self.logs / "mlflow-server.log", health_url=f"{self.mlflow_uri}/health"))

    def worker(self) -> Service:
        return self.services.get("prefect-worker") or self._add(Service(
            "prefect-worker", [str(BIN / "prefect"), "worker", "start", "--pool", POOL,
                               "--type", "process", "--name", "local-worker"],
            self._env(PREFECT_HOME=str(self.root / "prefect-worker"), ZOO_CHECKOUT=str(REPO),
                      **self.client_env()),
            self.logs / "prefect-worker.log", ready=self._worker_registered))

    def dask_services(self) -> list[Service]:
        if "dask-scheduler" not in self.services:
            self._add(Service(
                "dask-scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                   "--port", str(self.ports["dask"]),
                                   "--dashboard-address", "127.0.0.1:0"],
                self._env(), self.logs / "dask-scheduler.log"))
            sched = self.services["dask-scheduler"]
            sched.ready = _log_says(sched, "Scheduler at:")
            for i in range(1, self.dask_workers + 1):
                self._add(Service(
                    f"dask-worker-{i}", [str(BIN / "dask"), "worker", self.dask_address,
                                         "--host", "127.0.0.1", "--nthreads", "1",
                                         "--nworkers", "1", "--name", f"w{i}",
                                         "--dashboard-address", "127.0.0.1:0",
                                         "--local-directory", str(self.root / f"dask-w{i}")],
                    # tasks run here: they log to MLflow and report to Prefect themselves
                    self._env(PREFECT_HOME=str(self.root / f"prefect-dask-w{i}"),
                              **self.client_env()),
                    self.logs / f"dask-worker-{i}.log"))
                worker = self.services[f"dask-worker-{i}"]
                worker.ready = _log_says(worker, "Registered to:")
        return [s for n, s in self.services.items() if n.startswith("dask-")]

    def _worker_registered(self) -> bool:
        try:
            workers = http_json("POST", f"{self.prefect_api}/work_pools/{POOL}/workers/filter",
                                {})
        except (urllib.error.URLError, OSError):
            return False
        return any(w.get("status") == "ONLINE" for w in workers or [])

    def start(self) -> Stack:
        try:
            self.start_postgres()
            prefect, mlflow = self.prefect_server().start(), self.mlflow_server().start()
            prefect.wait_ready(timeout=180)
            mlflow.wait_ready(timeout=180)
            self.start_worker()
            if self.dask_workers:
                self.start_dask()
        except BaseException:
            self.stop()
            raise
        return self

    def start_worker(self) -> None:
        self.worker().start().wait_ready(timeout=120)

    def start_dask(self) -> None:
        sched, *workers = self.dask_services()
        sched.start().wait_ready(timeout=60)
        for w in workers:
            w.start()
        for w in workers:
            w.wait_ready(timeout=90)

    def restart(self, name: str, down_seconds: float = 0.0, timeout: float = 180) -> None:
        svc = self.services[name]
        svc.stop()
        time.sleep(down_seconds)
        svc.start().wait_ready(timeout=timeout)

    def stop(self) -> None:
        """Stop every service by its PID, clients before servers, then remove the folder."""
        order = ["prefect-worker", *[n for n in self.services if n.startswith("dask-worker")],
                 "dask-scheduler", "prefect-server", "mlflow-server", "postgres"]
        errors = []
        for name in order:
            if name in self.services:
                try:
                    self.services[name].stop()
                except (OSError, subprocess.SubprocessError) as exc:  # stop the others too
                    errors.append(f"{name}: {exc}")
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        if errors:
            raise StackError("; ".join(errors))

    def logs_tail(self, lines: int = 30) -> str:
        return "\n".join(f"---- {n} ({s.log})\n{s.tail(lines)}" for n, s in self.services.items())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start the stack and wait; Ctrl-C stops it")
    up.add_argument("--dir", type=Path, help="keep data here (default: a temporary folder, "
                    "removed on exit)")
    up.add_argument("--dask-workers", type=int, default=0)
    up.add_argument("--ui", action="store_true", help="serve the Prefect UI too")
    args = p.parse_args(argv)
    stack = Stack(args.dir, dask_workers=args.dask_workers, ui=args.ui)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        stack.start()
        print("Team stack up (loopback only). In another shell:")
        for k, v in stack.client_env().items():
            print(f"  export {k}={v}")
        print(f"Prefect UI: {stack.prefect_api[:-4]}   MLflow UI: {stack.mlflow_uri}")
        print(f"Logs: {stack.logs}")
        while not stop["now"]:
            time.sleep(1)
            dead = [n for n, s in stack.services.items() if not s.alive()]
            if dead:
                print(f"stopped unexpectedly: {', '.join(dead)}; see {stack.logs}")
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
