"""Rate limits against a real `linli serve --workers 2`, on SQLite and PostgreSQL: a burst sent
at once over HTTP gets at most the budget plus the stated overshoot (one worker's share per
other worker, `api.infra.rate_counter`), never less than the budget; every other answer is a
429; a second token keeps its own budget; after shutdown the shared total is exactly what was
allowed (nothing lost, nothing counted twice); anonymous addresses behind a trusted proxy are
counted apart."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api.domain import api_tokens
from api.http.graphql_over_http import GRAPHQL_RESPONSE
from api.infra import db
from api.infra.rate_counter import hour_of, local_share
from api.models import ApiToken, RateLimitUsage
from tests import factories
from tests.conftest import BACKENDS
from tests.serverproc import LinliServer, fresh_database, http_client

RATE_LIMIT = "{ rateLimit { limit remaining cost } }"
WORKERS = 2


@dataclass
class Site:
    url: str
    tokens: list[str]
    token_ids: list[int]


async def _seed(url: str) -> Site:
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        tokens, ids = [], []
        for name in ("区级看板", "市志愿平台"):
            volunteer = await factories.volunteer(name)
            secret, _ = await api_tokens.create_token_for(
                volunteer, name, [api_tokens.ApiScope.READ_PUBLIC], None
            )
            tokens.append(secret)
            ids.append((await ApiToken.get(volunteer_id=volunteer.id)).id)
        return Site(url, tokens, ids)
    finally:
        await db.close_orm()


async def _points_counted(url: str, caller: str, hour: int) -> int:
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        row = await RateLimitUsage.get_or_none(caller=caller, hour=hour)
        return row.points if row else 0
    finally:
        await db.close_orm()


@pytest.fixture(params=BACKENDS)
async def site(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> AsyncIterator[Site]:
    if request.param == "postgres" and postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    url = await fresh_database(request.param, tmp_path, postgres_server)
    yield await _seed(url)


async def _ask(http: httpx.AsyncClient, token: str | None = None, **headers: str) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", json={"query": RATE_LIMIT}, headers=headers)


async def test_a_parallel_burst_gets_at_most_the_budget_plus_the_bound(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 200
    bound = limit + (WORKERS - 1) * local_share(limit)  # 204
    monkeypatch.setenv("LINLI_RATE_LIMIT_POINTS", str(limit))
    monkeypatch.setenv("LINLI_RATE_LIMIT_ANONYMOUS_POINTS", "50")
    hour = hour_of(datetime.now(UTC))
    first, second = site.tokens
    with LinliServer(site.url, WORKERS, tmp_path / "server.log") as server:
        async with http_client(server.base_url, 64) as http:
            burst = await asyncio.gather(*(_ask(http, first) for _ in range(300)))
            statuses = Counter(r.status_code for r in burst)
            assert set(statuses) <= {200, 429}, statuses
            assert limit <= statuses[200] <= bound, statuses
            for refused in (r for r in burst if r.status_code == 429):
                assert int(refused.headers["retry-after"]) > 0
                assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
            for allowed in (r for r in burst if r.status_code == 200):
                figures = allowed.json()["data"]["rateLimit"]
                assert figures["limit"] == int(allowed.headers["ratelimit-limit"]) == limit
                assert figures["remaining"] == int(allowed.headers["ratelimit-remaining"])
                assert figures["cost"] == 1
            # the budget stays spent on both workers (a worker's stale view lets through at
            # most what the bound allows, counted together with the burst)
            later = await asyncio.gather(*(_ask(http, first) for _ in range(20)))
            allowed_in_all = statuses[200] + sum(r.status_code == 200 for r in later)
            assert allowed_in_all <= bound
            spec = await _ask(http, first, Accept=GRAPHQL_RESPONSE)
            assert spec.status_code == 429
            assert spec.headers["content-type"] == GRAPHQL_RESPONSE
            # another token: its own budget, whole
            other = await _ask(http, second)
            assert other.status_code == 200
            assert other.json()["data"]["rateLimit"]["remaining"] == limit - 1
    if hour_of(datetime.now(UTC)) != hour:
        pytest.skip("the clock hour changed during the burst: the counts are split")
    # SIGTERM: each worker added what it had counted; exactly what was allowed
    counted = await _points_counted(site.url, f"token:{site.token_ids[0]}", hour)
    assert counted == allowed_in_all


async def test_anonymous_addresses_behind_a_trusted_proxy_are_counted_apart(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("LINLI_RATE_LIMIT_ANONYMOUS_POINTS", "20")
    with LinliServer(site.url, WORKERS, tmp_path / "server.log") as server:
        async with http_client(server.base_url, 32) as http:
            burst = await asyncio.gather(
                *(_ask(http, **{"X-Forwarded-For": "203.0.113.7"}) for _ in range(40))
            )
            statuses = Counter(r.status_code for r in burst)
            assert 20 <= statuses[200] <= 20 + (WORKERS - 1) * local_share(20), statuses
            assert statuses[429] == 40 - statuses[200]
            home = await _ask(http, **{"X-Forwarded-For": "198.51.100.1"})
            assert home.status_code == 200
            assert home.json()["data"]["rateLimit"] == {"limit": 20, "remaining": 19, "cost": 1}
            assert home.headers["ratelimit-remaining"] == "19"
