"""/metrics exposes the named series; every answer carries a request id, and the access log
has one JSON line per request with it — across several workers too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from tortoise.connection import connections

from api.http.ids import encode_id
from api.jobs import scheduler
from tests import factories
from tests.serverproc import LinliServer, fresh_database

SIGN_UP = """mutation SignMeUp($input: SignUpInput!) {
  signUp(input: $input) { signup { status } userErrors { code } } }"""


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        if series.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            return float(value)
    return 0.0


async def test_metrics_name_what_happened(client, database: str, monkeypatch) -> None:
    me = await factories.volunteer("小林")
    team = await factories.team("邻里互助队")
    event = await factories.event(team, title="义诊", capacities=(1,))
    shift = (await event.shifts.all())[0]
    factories.log_in_as(client, me)
    before = (await client.get("/metrics")).text
    variables = {"input": {"shiftId": encode_id("Shift", shift.id), "idempotencyKey": "m1"}}
    answer = await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert answer.json()["data"]["signUp"]["signup"]["status"] == "CONFIRMED"
    assert (await client.get("/me")).status_code == 200
    async with scheduler.running():
        await asyncio.sleep(0.3)  # one round of each job
    if database.startswith("sqlite"):  # a database fault, counted by its reason
        other = await factories.volunteer("小王")
        await connections.get("default").execute_script("PRAGMA query_only = ON")
        variables["input"]["idempotencyKey"] = "m2"
        factories.log_in_as(client, other)
        assert (
            await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})
        ).status_code == 503
        await connections.get("default").execute_script("PRAGMA query_only = OFF")

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text

    def grew(name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    assert grew("linli_http_requests_total", route="/graphql", method="POST", status="200") == 1
    assert grew("linli_http_requests_total", route="/me", method="GET", status="200") == 1
    assert grew("linli_http_request_duration_seconds_count", route="/graphql", method="POST") >= 1
    assert sample(text, "linli_http_request_duration_seconds_bucket", route="/graphql", le="+Inf")
    assert (
        grew("linli_graphql_operations_total", operation="SignMeUp", type="mutation", outcome="ok")
        == 1
    )
    assert (
        grew("linli_graphql_operations_total", operation="MyShifts", type="query", outcome="ok")
        == 1
    )
    assert grew("linli_signups_total", outcome="CONFIRMED") == 1
    for job in ("outbox", "reminders", "delivery"):
        assert (
            sample(text, "linli_scheduler_round_duration_seconds_count", job=job, outcome="ok") >= 1
        )
    assert sample(text, "linli_database_up") == 1
    for gauge in (
        "linli_outbox_backlog",
        "linli_notifications_pending",
        "linli_notifications_undelivered",
    ):
        assert f"# TYPE {gauge} gauge" in text
    if database.startswith("sqlite"):
        assert grew("linli_database_errors_total", reason="read_only") == 1
        assert grew("linli_http_requests_total", route="/graphql", method="POST", status="503") == 1
        assert (
            grew(
                "linli_graphql_operations_total",
                operation="SignMeUp",
                type="mutation",
                outcome="unavailable",
            )
            == 1
        )


async def test_request_id_is_echoed_or_made(client) -> None:
    mine = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-Id": "no spaces <allowed>"})
    assert len(made.headers["x-request-id"]) == 32
    assert made.headers["x-request-id"] != (await client.get("/healthz")).headers["x-request-id"]


@pytest.mark.sqlite_only
async def test_several_workers_share_metrics_and_log_json(database: str, tmp_path: Path) -> None:
    url = await fresh_database("sqlite", tmp_path, None)
    log = tmp_path / "server.log"
    with LinliServer(url, 2, log) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            lanes = [httpx.AsyncClient(base_url=server.base_url, timeout=10) for _ in range(8)]
            try:  # separate connections, so both workers answer some
                await asyncio.gather(*(lane.get("/healthz") for lane in lanes for _ in range(5)))
            finally:
                await asyncio.gather(*(lane.aclose() for lane in lanes))
            await http.get("/", headers={"X-Request-Id": "trace-me-1"})
            text = (await http.get("/metrics")).text
    assert sample(text, "linli_http_requests_total", route="/healthz", status="200") >= 40
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "linli.access"]
    mine = [line for line in access if line.get("request_id") == "trace-me-1"]
    assert len(mine) == 1
    assert mine[0]["route"] == "/" and mine[0]["status"] == 200 and mine[0]["method"] == "GET"
    assert {"ts", "level", "msg", "duration_ms"} <= set(mine[0])
