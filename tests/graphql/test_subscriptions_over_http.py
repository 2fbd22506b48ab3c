"""Subscriptions live on the WebSocket: over HTTP they are refused with a clear 400 (never
executed as if they were queries), and the schema offers exactly the contract's two."""

from __future__ import annotations

import httpx

from api.graphql.schema import export_sdl

SUBSCRIPTION = 'subscription { shiftUpdated(shiftId: "U2hpZnQ6MQ") { id seatsLeft } }'


async def test_a_subscription_over_http_is_refused(client: httpx.AsyncClient) -> None:
    posted = await client.post("/graphql", json={"query": SUBSCRIPTION})
    got = await client.get("/graphql", params={"query": SUBSCRIPTION})
    for response in (posted, got):
        assert response.status_code == 400
        assert "WebSocket" in response.text


def test_the_schema_has_the_contracts_subscriptions() -> None:
    sdl = export_sdl()
    assert "shiftUpdated(\n" in sdl and "): Shift!" in sdl
    assert "eventUpdated(\n" in sdl and "): Event!" in sdl
    assert "eventId: ID!" in sdl and "shiftId: ID!" in sdl
