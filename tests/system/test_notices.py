"""Notices arrive at once, and a stopping server gives its delivery leases back.

* On a real server whose periodic scan is 10 minutes away, a volunteer promoted from the
  waitlist sees the notice within 2 seconds: the transaction that wrote the outbox row woke the
  dispatcher when it committed.
* A server stopped with SIGTERM while its gateway hangs gives back the notifications it had
  leased: due again at once, the attempt not counted (another worker would otherwise wait
  for the 5-minute lease to run out)."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api.domain import notifications, signups
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.infra import db
from api.models import Notification
from api.models.notification import NotificationKind
from tests import factories
from tests.conftest import BACKENDS
from tests.serverproc import LinliServer, cookie_for, fresh_database

CANCEL = """mutation($input: CancelSignupInput!) {
  cancelSignup(input: $input) { signup { status } userErrors { code } } }"""
UNREAD = "{ viewer { unreadNotificationCount } }"


class ScheduledServer(LinliServer):
    def __init__(self, url: str, log_path: Path, **env: str) -> None:
        super().__init__(url, 1, log_path)
        self.extra_env = env

    def env(self) -> dict[str, str]:
        return {**super().env(), "LINLI_SCHEDULER": "on", **self.extra_env}


async def _database(backend: str, tmp_path: Path, postgres_server: str | None) -> str:
    if backend == "postgres" and postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    return await fresh_database(backend, tmp_path, postgres_server)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_promotion_notice_appears_within_two_seconds(
    backend: str, tmp_path: Path, postgres_server: str | None
) -> None:
    url = await _database(backend, tmp_path, postgres_server)
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        team = await factories.team("邻里互助队")
        event = await factories.event(team, title="义诊", capacities=(1,))
        shift = (await event.shifts.all())[0]
        first, second = await factories.volunteer("小林"), await factories.volunteer("小王")
        seat = await signups.sign_up(Actor(volunteer=first), shift.id, "a")
        waiting = await signups.sign_up(Actor(volunteer=second), shift.id, "b")
        assert waiting.status == "WAITLISTED"
    finally:
        await db.close_orm()

    log = tmp_path / "server.log"
    with ScheduledServer(url, log, LINLI_SCHEDULER_INTERVAL="600") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            await asyncio.sleep(1)  # the jobs' first round (nothing to do) is over
            response = await http.post(
                "/graphql",
                json={
                    "query": CANCEL,
                    "variables": {"input": {"signupId": encode_id("Signup", seat.id)}},
                },
                headers=cookie_for(first.id),
            )
            assert response.json()["data"]["cancelSignup"]["signup"]["status"] == "CANCELLED"
            cancelled_at = time.monotonic()
            unread = 0
            while unread == 0 and time.monotonic() - cancelled_at < 10:
                answer = await http.post(
                    "/graphql", json={"query": UNREAD}, headers=cookie_for(second.id)
                )
                unread = answer.json()["data"]["viewer"]["unreadNotificationCount"]
                if unread == 0:
                    await asyncio.sleep(0.05)
            seconds = time.monotonic() - cancelled_at
    print(f"\npromotion notice on {backend} after {seconds:.2f} s")
    assert unread == 1
    assert seconds < 2.0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigterm_gives_delivery_leases_back(
    backend: str, tmp_path: Path, postgres_server: str | None
) -> None:
    url = await _database(backend, tmp_path, postgres_server)
    gateway = socket.socket()  # accepts connections (the kernel does), never answers
    gateway.bind(("127.0.0.1", 0))
    gateway.listen(64)
    port = gateway.getsockname()[1]
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        people = [await factories.volunteer(f"邻居{i}") for i in range(3)]
        drafts = [
            notifications.Draft(p.id, NotificationKind.EVENT_CHANGED, "明早停水", None)
            for p in people
        ]
        assert await notifications.create("test:lease", drafts) == 3
        server = ScheduledServer(
            url,
            tmp_path / "server.log",
            LINLI_SCHEDULER_INTERVAL="1",
            LINLI_NOTIFY_CHANNELS="webhook",
            LINLI_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
            LINLI_WEBHOOK_TIMEOUT="120",
            LINLI_WEBHOOK_BUDGET="120",
        ).start()
        try:
            leased = 0
            for _ in range(200):  # the delivery job leases the batch and hangs on the gateway
                leased = await Notification.filter(delivery_attempts__gt=0).count()
                if leased == 3:  # the whole batch is leased (one row after another)
                    break
                await asyncio.sleep(0.05)
            assert leased == 3
        finally:
            server.stop()  # SIGTERM
        rows = await Notification.all().order_by("id")
        assert [(n.delivery_attempts, n.next_delivery_at, n.delivered_at) for n in rows] == [
            (0, None, None)
        ] * 3
        assert "Traceback" not in server.log()
    finally:
        await db.close_orm()
        gateway.close()
