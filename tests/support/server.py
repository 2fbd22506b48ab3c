"""Servers in a subprocess: a real `linli serve` (any number of workers), and any other ASGI app
the benches compare it with (`AppServer`).

Each runs in its own process group on a free loopback port, with its output in a log file.
`start()` returns once `/healthz` answers (and, with several workers, once every worker is up).
`stop()` sends SIGTERM (a graceful shutdown); `kill()` sends SIGKILL to the whole group, so
the uvicorn workers die with their supervisor, as in a power cut of the machine. Leaving a
`with` block stops the server and, unless `strict=False`, fails on a traceback or a
"database is locked" in its log (`check_log()` does the same on demand).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Self

import httpx

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY_DEFAULT = "test-secret-key-not-for-production"
# Lines that must never appear in a server's log: a request failed inside the server.
LOG_PROBLEMS = ("Traceback", "database is locked")


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def linli_command(*args: str) -> list[str]:
    """The `linli` command line, run by this interpreter (the virtualenv's)."""
    return [sys.executable, "-m", "api", *args]


class ServerProcess:
    """A web server in its own process group, on a free port; see the module's docstring."""

    health_path = "/healthz"
    workers = 1
    # A line each worker writes to the log once it serves (None: /healthz answering is enough).
    ready_line: str | None = None

    def __init__(
        self, log_path: Path, *, env: dict[str, str] | None = None, strict: bool = True
    ) -> None:
        self.log_path = Path(log_path)
        self.extra_env = dict(env or {})
        self.strict = strict
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_start = 0

    # --- what to run (subclasses) -------------------------------------------------------------

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.extra_env}

    # --- running ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Self:
        self.port = free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while the server runs
        self._log.write(f"--- start port {self.port} workers {self.workers}\n".encode())
        self._log.flush()
        self._log_start = self._log.tell()
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                self.kill()
                raise ServerError(f"{type(self).__name__} exited early:\n{log}")
            try:
                response = httpx.get(self.base_url + self.health_path, timeout=1)
                if response.status_code == 200 and self._all_workers_up():
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise ServerError(f"the server did not become healthy:\n{self.log()}")

    def _all_workers_up(self) -> bool:
        """Every worker has started its application (and opened its database): each wrote
        `ready_line` to the log since this start."""
        if self.ready_line is None:
            return True
        with open(self.log_path, "rb") as log:
            log.seek(self._log_start)
            started = log.read().decode(errors="replace").count(self.ready_line)
        return started >= self.workers

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_problems(self) -> list[str]:
        """The log's lines that show a request failing inside the server."""
        return [line for line in self.log().splitlines() if any(p in line for p in LOG_PROBLEMS)]

    def check_log(self) -> None:
        """Fails (ServerError, with the first failure in the log) if a request failed inside
        the server."""
        if not self.log_problems():
            return
        log = self.log()
        first = min(i for i in (log.find(p) for p in LOG_PROBLEMS) if i >= 0)
        raise ServerError(
            f"the server's log shows a failure:\n{log[max(0, first - 1000) :][:6000]}"
        )

    def stop(self, timeout: float = 15) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self) -> None:
        """SIGKILL to the server's whole process group (supervisor and workers)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self._wait_group_gone()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _wait_group_gone(self, timeout: float = 10) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        if self.strict and exc_type is None:
            self.check_log()


class LinliServer(ServerProcess):
    """`linli serve --workers N` on `database_url`. The reminder scheduler is off unless
    `scheduler=True`; LINLI_PUBLIC_URL is the server's own address."""

    def __init__(
        self,
        database_url: str,
        workers: int = 1,
        log_path: Path = Path("linli-serve.log"),
        *,
        scheduler: bool = False,
        env: dict[str, str] | None = None,
        strict: bool = True,
    ) -> None:
        super().__init__(log_path, env=env, strict=strict)
        self.database_url = database_url
        self.workers = workers
        self.scheduler = scheduler

    # uvicorn says so once per worker (at --log-level info; `linli serve` has no access log)
    ready_line = "Application startup complete."

    def command(self) -> list[str]:
        port, workers = str(self.port), str(self.workers)
        return linli_command("serve", "--workers", workers, "--port", port, "--log-level", "info")

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "LINLI_DATABASE_URL": self.database_url,
            "LINLI_SECRET_KEY": os.environ.get("LINLI_SECRET_KEY", SECRET_KEY_DEFAULT),
            "LINLI_DATA_DIR": str(self.log_path.parent / "server-data"),
            "LINLI_PUBLIC_URL": self.base_url,
            # accounts are made in the set-up; registering needs no SMS code unless told
            "LINLI_PHONE_VERIFICATION": os.environ.get("LINLI_PHONE_VERIFICATION", "off"),
        }
        if not self.scheduler:
            env["LINLI_SCHEDULER"] = "off"
        return {**env, **self.extra_env}


class AppServer(ServerProcess):
    """Any ASGI app under uvicorn (one worker unless told): `module:attribute` found in
    `app_dir`."""

    def __init__(
        self,
        app: str,
        log_path: Path,
        *,
        app_dir: Path = ROOT,
        health_path: str = "/",
        env: dict[str, str] | None = None,
        strict: bool = True,
        workers: int = 1,
    ) -> None:
        super().__init__(log_path, env=env, strict=strict)
        self.app = app
        self.app_dir = app_dir
        self.health_path = health_path
        self.workers = workers

    def command(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "--app-dir", str(self.app_dir), self.app] + [
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
