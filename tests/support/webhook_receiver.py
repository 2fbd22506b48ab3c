"""A third party's webhook receiver: a small Starlette app served by uvicorn on loopback, in
the test's own event loop. It keeps every request (headers and raw body) and answers the
statuses it is told to, in order (then 200)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    #: statuses to answer, in order; 200 once they are used up
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    #: seconds to wait before answering
    delay: float = 0.0
    #: bytes of body in each answer
    answer_size: int = 2
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, count: int, seconds: float) -> None:
        """Waits until `count` requests have come (TimeoutError after `seconds`)."""
        async with asyncio.timeout(seconds):
            while True:
                self.arrived.clear()
                if len(self.received) >= count:
                    return
                await self.arrived.wait()

    async def hook(self, request: Request) -> Response:
        self.received.append(Received(dict(request.headers), await request.body()))
        self.arrived.set()
        status = self.script.pop(0) if self.script else 200
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = {"location": "/elsewhere"} if 300 <= status < 400 else {}
        return Response(b"x" * self.answer_size, status_code=status, headers=headers)

    async def elsewhere(self, request: Request) -> Response:
        self.received.append(Received(dict(request.headers), await request.body()))
        return Response("redirected", status_code=200)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/hook", self.hook, methods=["POST"]),
                Route("/elsewhere", self.elsewhere, methods=["GET", "POST"]),
            ]
        )


@contextlib.asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(receiver.app(), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()
