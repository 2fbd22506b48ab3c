"""A real `linli serve` in a subprocess, and a sign-up storm against it.

Used by the storm and crash tests and by `bench/storm.py` (the same code path, with figures).
Data is prepared through the ORM *before* the server starts; volunteers act with a signed
session cookie each (`factories.session_token`, a session opened during the set-up), so no
argon2 log-in is needed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api.http.ids import decode_id, encode_id
from api.http.sessions import SESSION_COOKIE
from api.infra import db
from api.models import Volunteer
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_DEFAULT = "test-secret-key-not-for-production"

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    signup { id status waitlistPosition }
    userErrors { code message field }
  }
}"""

CANCEL = """
mutation Cancel($input: CancelSignupInput!) {
  cancelSignup(input: $input) {
    signup { id status waitlistPosition }
    userErrors { code message field }
  }
}"""

SHIFT_STATE = """
query ShiftState($id: ID!, $after: String) {
  node(id: $id) {
    ... on Shift {
      capacity seatsTaken seatsLeft waitlistCount
      signups(first: 100, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id status waitlistPosition volunteer { id } }
      }
    }
  }
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerError(RuntimeError):
    pass


class LinliServer:
    """`linli serve --workers N` on a free port, in its own process group.

    `stop()` sends SIGTERM (a graceful shutdown); `kill()` sends SIGKILL to the whole group,
    so the uvicorn workers die with their supervisor, as in a power cut of the machine."""

    def __init__(self, database_url: str, workers: int, log_path: Path) -> None:
        self.database_url = database_url
        self.workers = workers
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            LINLI_DATABASE_URL=self.database_url,
            LINLI_SECRET_KEY=os.environ.get("LINLI_SECRET_KEY", SECRET_KEY_DEFAULT),
            LINLI_SCHEDULER="off",
            # the storm's accounts are made in the set-up; registering needs no SMS code here
            LINLI_PHONE_VERIFICATION=os.environ.get("LINLI_PHONE_VERIFICATION", "off"),
            LINLI_DATA_DIR=str(self.log_path.parent / "server-data"),
        )
        return env

    def start(self, timeout: float = 30) -> LinliServer:
        self.port = free_port()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while the server runs
        self._log.write(f"--- start port {self.port} workers {self.workers}\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--workers", str(self.workers)]
            + ["--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT,
            env=self.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"linli serve exited early:\n{self.log()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    if self._all_workers_up():
                        return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise ServerError(f"linli serve did not become healthy:\n{self.log()}")

    def _all_workers_up(self) -> bool:
        """With several workers, wait until each has started (and opened its database)."""
        if self.workers <= 1 or self.process is None:
            return True
        try:
            out = subprocess.run(
                ["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True
            ).stdout
        except FileNotFoundError:
            return True
        # the supervisor, plus a resource tracker (multiprocessing spawn), plus the workers
        return len(out.split()) >= self.workers + 1

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

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

    def __enter__(self) -> LinliServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- databases ------------------------------------------------------------------------------


async def fresh_database(backend: str, directory: Path, postgres_server: str | None) -> str:
    """The URL of a new, migrated, empty database: a SQLite file in `directory`, or a new
    database in the PostgreSQL server `postgres_server` names."""
    if backend == "sqlite":
        url = f"sqlite://{directory / 'linli.sqlite3'}"
    else:
        import asyncpg

        if postgres_server is None:
            raise ServerError("no PostgreSQL server")
        name = f"linli_storm_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(postgres_server.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        url = postgres_server.rsplit("/", 1)[0] + "/" + name
    EXECUTOR_CACHE.clear()
    await db.migrate(url)
    return url


# --- the storm's data -----------------------------------------------------------------------


@dataclass
class StormSetup:
    shift_id: int
    other_shift_ids: list[int]
    volunteer_ids: list[int]
    admin_id: int

    @property
    def shift_gid(self) -> str:
        return encode_id("Shift", self.shift_id)


async def seed_storm(url: str, volunteers: int, capacity: int) -> StormSetup:
    """Opens the ORM on `url`, creates an admin, a published event with a shift of
    `capacity` seats (and two more shifts in other events, for idempotency checks) and
    `volunteers` accounts, then closes the ORM again."""
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        admin = await factories.volunteer("管理员", admin=True)
        team = await factories.team("邻里互助队", leaders=(admin,))
        event = await factories.event(team, title="义诊", capacities=(capacity,))
        later = factories.soon(days=5)
        others = [
            await factories.event(team, title=f"义剪 {i}", starts_at=later + timedelta(days=i))
            for i in range(2)
        ]
        shift_id = (await event.shifts.all())[0].id
        other_shift_ids = [(await e.shifts.all())[0].id for e in others]
        prefix = 15000000000
        await Volunteer.bulk_create(
            [
                Volunteer(
                    phone=str(prefix + i),
                    password_hash=factories.password_hash(),
                    display_name=f"邻居{i:04d}",
                )
                for i in range(volunteers)
            ],
            batch_size=500,
        )
        ids = await (
            Volunteer.filter(phone__gte=str(prefix), phone__lt=str(prefix + volunteers))
            .order_by("phone")
            .values_list("id", flat=True)
        )
        await factories.open_sessions([int(i) for i in ids])
        return StormSetup(shift_id, other_shift_ids, list(ids), admin.id)
    finally:
        await db.close_orm()


# --- the storm ------------------------------------------------------------------------------


async def open_sessions(url: str, volunteer_ids: list[int]) -> None:
    """Sessions for volunteers of an existing database (before the server starts), so that
    `cookie_for` works for them."""
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        await factories.open_sessions(volunteer_ids)
    finally:
        await db.close_orm()


def cookie_for(volunteer_id: int) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={factories.session_token(volunteer_id)}"}


def pk_of(global_id: str) -> int:
    return decode_id(global_id)[1]


@dataclass
class Answer:
    """One request of the storm: what the volunteer was told."""

    volunteer_id: int
    key: str
    status_code: int | None = None
    body: dict[str, Any] | None = None
    text: str = ""
    transport_error: str | None = None
    retries: int = 0
    seconds: float = 0.0

    @property
    def payload(self) -> dict[str, Any] | None:
        data = (self.body or {}).get("data") or {}
        return next(iter(data.values()), None) if data else None

    @property
    def signup(self) -> dict[str, Any] | None:
        payload = self.payload
        return payload.get("signup") if payload else None

    @property
    def user_errors(self) -> list[dict[str, Any]]:
        payload = self.payload
        return list(payload.get("userErrors") or []) if payload else []

    @property
    def clean(self) -> bool:
        """200, no GraphQL errors, no user errors, a sign-up in the answer."""
        return (
            self.status_code == 200
            and self.body is not None
            and "errors" not in self.body
            and not self.user_errors
            and self.signup is not None
        )


@dataclass
class StormResult:
    answers: list[Answer]
    seconds: float
    concurrency: int
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def retries(self) -> int:
        return sum(a.retries for a in self.answers)

    def summary(self) -> dict[str, Any]:
        latencies = sorted(a.seconds for a in self.answers if a.status_code is not None)

        def pct(p: float) -> float | None:
            if not latencies:
                return None
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)

        statuses: dict[str, int] = {}
        for a in self.answers:
            s = a.signup["status"] if a.signup else "none"
            statuses[s] = statuses.get(s, 0) + 1
        return {
            "requests": len(self.answers),
            "concurrency": self.concurrency,
            "wall_seconds": round(self.seconds, 3),
            "requests_per_second": round(len(self.answers) / self.seconds, 1),
            "latency_ms_p50": pct(0.50),
            "latency_ms_p95": pct(0.95),
            "latency_ms_max": round(latencies[-1] * 1000, 1) if latencies else None,
            "retries": self.retries,
            "transport_errors": sum(1 for a in self.answers if a.transport_error),
            "http_status": sorted({a.status_code for a in self.answers if a.status_code}),
            "statuses": statuses,
            **self.figures,
        }


async def graphql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], volunteer_id: int | None
) -> dict[str, Any]:
    headers = cookie_for(volunteer_id) if volunteer_id is not None else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def post_sign_up(
    http: httpx.AsyncClient,
    shift_gid: str,
    volunteer_id: int,
    key: str,
    *,
    retries: int = 0,
) -> Answer:
    """One volunteer taps "报名": the sign-up mutation, retried with the same idempotency key
    on a transport failure (as the app does), at most `retries` times."""
    answer = Answer(volunteer_id=volunteer_id, key=key)
    started = time.perf_counter()
    body = {"query": SIGN_UP, "variables": {"input": {"shiftId": shift_gid, "idempotencyKey": key}}}
    for attempt in range(retries + 1):
        try:
            response = await http.post("/graphql", json=body, headers=cookie_for(volunteer_id))
        except httpx.TransportError as exc:
            answer.transport_error = f"{type(exc).__name__}: {exc}"
            if attempt < retries:
                answer.retries += 1
                continue
            break
        answer.transport_error = None
        answer.status_code = response.status_code
        answer.text = response.text
        try:
            answer.body = response.json()
        except ValueError:
            answer.body = None
        break
    answer.seconds = time.perf_counter() - started
    return answer


def http_client(base_url: str, concurrency: int, timeout: float = 60) -> httpx.AsyncClient:
    """A client for a few parallel requests. (httpcore's pool scans every waiting request
    against every connection on each change: with hundreds waiting, the client itself becomes
    the bottleneck. The storm uses one client per lane instead.)"""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=timeout, verify=_tls(), trust_env=False
    )


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every client (plain HTTP here; building one per client is slow)."""
    return ssl.create_default_context()


async def sign_up_storm(
    base_url: str,
    shift_gid: str,
    volunteer_ids: list[int],
    *,
    concurrency: int = 500,
    retries: int = 0,
    keys: dict[int, str] | None = None,
    on_answer: Callable[[Answer, int], None] | None = None,
) -> StormResult:
    """All volunteers sign up for the shift at once (each with a unique idempotency key):
    `concurrency` lanes, each its own keep-alive connection, take the next volunteer as soon
    as their previous answer arrived (with concurrency == volunteers, every request is on the
    wire at the same moment). `on_answer(answer, answered_so_far)` is called as answers
    arrive (the crash test kills the server from there). `keys` gives idempotency keys to
    reuse (a phone retrying); otherwise each volunteer gets a new one."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for volunteer_id in volunteer_ids:
        queue.put_nowait(volunteer_id)
    answers: list[Answer] = []

    async def lane(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            volunteer_id = queue.get_nowait()
            key = (keys or {}).get(volunteer_id) or f"storm-{uuid.uuid4()}"
            answer = await post_sign_up(http, shift_gid, volunteer_id, key, retries=retries)
            answers.append(answer)
            if on_answer is not None:
                on_answer(answer, len(answers))

    lanes = [http_client(base_url, 1) for _ in range(min(concurrency, len(volunteer_ids)))]
    try:
        # Connect first: the storm measures sign-ups, not TCP set-up.
        await asyncio.gather(*(http.get("/healthz") for http in lanes))
        started = time.perf_counter()
        await asyncio.gather(*(lane(http) for http in lanes))
        seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(http.aclose() for http in lanes))
    return StormResult(answers, seconds, len(lanes))


async def shift_state(base_url: str, shift_gid: str, admin_id: int) -> dict[str, Any]:
    """The shift as an admin sees it through GraphQL, with every sign-up (all pages)."""
    signups: list[dict[str, Any]] = []
    after: str | None = None
    async with http_client(base_url, 4) as http:
        while True:
            body = await graphql(http, SHIFT_STATE, {"id": shift_gid, "after": after}, admin_id)
            assert "errors" not in body, body
            node = body["data"]["node"]
            page = node["signups"]
            signups.extend(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    return {**{k: v for k, v in node.items() if k != "signups"}, "signups": signups}


@dataclass
class ShiftRows:
    """The shift's counters and sign-up rows, read straight from the database."""

    capacity: int
    seats_taken: int
    waitlist_count: int
    rows: list[dict[str, Any]]  # id, volunteer_id, status, waitlist_ticket
    positions: dict[int, int]  # sign-up id → waitlist position (domain's own query)

    def with_status(self, *statuses: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] in statuses]


async def shift_rows(url: str, shift_id: int) -> ShiftRows:
    from api.domain.waitlist import waitlist_positions
    from api.models import Shift, Signup

    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        shift = await Shift.get(id=shift_id)
        rows = await Signup.filter(shift_id=shift_id).values(
            "id", "volunteer_id", "status", "waitlist_ticket"
        )
        for row in rows:
            row["status"] = getattr(row["status"], "value", row["status"])
        positions = await waitlist_positions([r["id"] for r in rows])
        return ShiftRows(shift.capacity, shift.seats_taken, shift.waitlist_count, rows, positions)
    finally:
        await db.close_orm()
