"""A small `graphql-transport-ws` client over real WebSockets (the `websockets` package), for
tests of live subscriptions against a running server."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
#: Generous: a message that does not come within this fails the test instead of hanging it.
WAIT_SECONDS = 15.0


class LiveClient:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.inbox: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    async def open(
        cls,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
        origin: str | None = None,
    ) -> Self:
        """Connects to `base_url`'s /graphql, sends `connection_init` and waits for the ack."""
        url = base_url.replace("http://", "ws://", 1) + "/graphql"
        socket = await connect(
            url,
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            open_timeout=WAIT_SECONDS,
        )
        client = cls(socket)
        await client.send({"type": "connection_init", "payload": payload or {}})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.socket.recv(), WAIT_SECONDS))
        assert isinstance(message, dict)
        return message

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": id, "type": "subscribe", "payload": payload})

    async def next(self, id: str) -> dict[str, Any]:
        """The next message for subscription `id` (`next`, `error` or `complete`); pings are
        answered, other subscriptions' messages kept for later."""
        while not self.inbox.get(id):
            message = await self.receive()
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            self.inbox.setdefault(message.get("id", ""), []).append(message)
        return self.inbox[id].pop(0)

    async def data(self, id: str) -> dict[str, Any]:
        """The data of the next `next` message for `id` (fails on anything else)."""
        message = await self.next(id)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data = message["payload"]["data"]
        assert isinstance(data, dict)
        return data

    async def close(self) -> None:
        await self.socket.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
