"""The sign-up storm: many volunteers tap "报名" at once against a real server.

Used by the storm and crash tests and by `bench/storm.py` (the same code path, with figures).
Each volunteer acts with a signed session cookie; every request carries an idempotency key,
and a transport failure may be retried with the same key, as the app does."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from api.http.ids import decode_id
from tests.support.client import cookie_for, http_client

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

    def with_status(self, *statuses: str) -> list[Answer]:
        return [a for a in self.answers if a.signup and a.signup["status"] in statuses]

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
