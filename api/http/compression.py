"""Gzip for pages, assets and answers (Starlette's `GZipMiddleware`), cheap when the client
does not take gzip: then nothing is compressed and the only change Starlette's identity path
makes is `Vary: Accept-Encoding` on an answer that would have been compressed (at least
`minimum_size` bytes, or streamed; not already encoded, not partial, not an excluded media
type). That is done here with one look at the answer's start, instead of a responder object
per request."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Compression(GZipMiddleware):
    def __init__(self, app: ASGIApp, minimum_size: int = 500) -> None:
        super().__init__(app, minimum_size=minimum_size)
        self.excluded = frozenset(self.exclude_content_types)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _takes_gzip(scope):
            return await super().__call__(scope, receive, send)
        held: Message | None = None

        async def send_with_vary(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                held = message
                return None
            if held is not None:
                start, held = held, None
                if message["type"] == "http.response.body" and self._would_compress(start, message):
                    start.setdefault("headers", [])
                    MutableHeaders(scope=start).add_vary_header("Accept-Encoding")
                await send(start)
            await send(message)

        await self.app(scope, receive, send_with_vary)

    def _would_compress(self, start: Message, first: Message) -> bool:
        if len(first.get("body", b"")) < self.minimum_size and not first.get("more_body"):
            return False
        if start["status"] == 206:
            return False
        media = b""
        for key, value in start.get("headers", ()):
            if key == b"content-encoding":
                return False
            if key == b"content-type" and not media:
                media = value
        kind = media.decode("latin-1").partition(";")[0].strip().lower()
        if kind.startswith("application/grpc+"):
            return False
        return kind not in self.excluded and kind.partition("/")[0] + "/*" not in self.excluded


def _takes_gzip(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"accept-encoding":
            return b"gzip" in value
    return False
