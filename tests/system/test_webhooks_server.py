"""Webhooks against a real `linli serve --workers 2` with its scheduler running, on SQLite and
PostgreSQL: 30 `createWebhook` sent at once over HTTP make exactly the account's limit; an event
published then reaches every webhook once, signed, sent by whichever worker leased it (the
receiver is a real uvicorn app on loopback; `LINLI_WEBHOOK_ALLOW_PRIVATE=1`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api.domain.webhooks import MAX_WEBHOOKS
from api.http.ids import encode_id
from api.infra import db
from api.models import EventStatus
from tests import factories
from tests.conftest import BACKENDS
from tests.serverproc import LinliServer, cookie_for, fresh_database
from tests.support.webhook_receiver import Receiver, serving

CREATE = """
mutation($url: String!) {
  createWebhook(input: {url: $url, events: [EVENT_PUBLISHED, EVENT_CANCELLED]}) {
    secret webhook { id } userErrors { code }
  }
}"""
PUBLISH = "mutation($id: ID!) { publishEvent(input: {eventId: $id}) { userErrors { code } } }"


@dataclass
class Site:
    url: str
    leader_id: int
    event_id: int


@pytest.fixture(params=BACKENDS)
async def site(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> AsyncIterator[Site]:
    if request.param == "postgres" and postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    url = await fresh_database(request.param, tmp_path, postgres_server)
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        leader = await factories.volunteer("王组长")
        team = await factories.team(leaders=(leader,))
        event = await factories.event(team, status=EventStatus.DRAFT)
        yield Site(url, leader.id, event.id)
    finally:
        await db.close_orm()


async def _post(http: httpx.AsyncClient, query: str, variables: dict[str, Any], who: int) -> Any:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=cookie_for(who)
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_burst_and_a_delivery_against_a_real_server(site: Site, tmp_path: Path) -> None:
    env = {"LINLI_WEBHOOK_ALLOW_PRIVATE": "1", "LINLI_SCHEDULER_INTERVAL": "1"}
    limits = httpx.Limits(max_connections=30, max_keepalive_connections=30)
    async with serving(Receiver()) as receiver:
        server = LinliServer(site.url, 2, tmp_path / "server.log", scheduler=True, env=env)
        with server:
            async with httpx.AsyncClient(
                base_url=server.base_url, timeout=60, limits=limits
            ) as http:
                answers = await asyncio.gather(
                    *(
                        _post(http, CREATE, {"url": receiver.url}, site.leader_id)
                        for _ in range(3 * MAX_WEBHOOKS)
                    )
                )
                made = [a["createWebhook"] for a in answers if a["createWebhook"]["secret"]]
                refused = Counter(
                    e["code"] for a in answers for e in a["createWebhook"]["userErrors"]
                )
                assert len(made) == MAX_WEBHOOKS
                assert refused == {"WEBHOOK_LIMIT_REACHED": 2 * MAX_WEBHOOKS}

                published = await _post(
                    http, PUBLISH, {"id": encode_id("Event", site.event_id)}, site.leader_id
                )
                assert published["publishEvent"]["userErrors"] == []
                await receiver.until(MAX_WEBHOOKS, 60)  # the workers' own jobs send them
                await asyncio.sleep(3)  # a few more rounds on both workers: nothing more comes
        assert "Traceback" not in server.log(), server.log()[-4000:]

    assert len(receiver.received) == MAX_WEBHOOKS
    per_webhook = Counter()
    for message in receiver.received:
        for hook in made:
            try:
                payload = Verifier(hook["secret"]).verify(message.body, message.headers)
            except WebhookVerificationError:
                continue
            per_webhook[hook["webhook"]["id"]] += 1
            assert payload["type"] == "EVENT_PUBLISHED"
            assert payload["data"]["event"]["id"] == encode_id("Event", site.event_id)
    assert per_webhook == {hook["webhook"]["id"]: 1 for hook in made}
    assert len({m.headers["webhook-id"] for m in receiver.received}) == MAX_WEBHOOKS
