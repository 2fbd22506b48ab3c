"""`Compression` answers exactly as Starlette's `GZipMiddleware` does (it only skips the
responder object when the client takes no gzip): same status, headers and body, for answers
that would be compressed and ones that would not, with and without `Accept-Encoding: gzip`."""

from __future__ import annotations

import gzip

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from api.http.compression import Compression

BIG = "邻里互助 neighbours " * 100


async def _answer(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind == "big":
        return Response(BIG, media_type="text/html")
    if kind == "small":
        return Response("小", media_type="text/plain")
    if kind == "image":
        return Response(b"\x89PNG" + b"0" * 2000, media_type="image/png")
    if kind == "encoded":
        return Response(gzip.compress(BIG.encode()), headers={"content-encoding": "gzip"})
    if kind == "partial":
        return Response(BIG, status_code=206, media_type="text/plain")

    async def chunks():  # streamed
        yield b"first "
        yield b"second"

    return StreamingResponse(chunks(), media_type="text/plain")


def _app(middleware: type) -> Starlette:
    return Starlette(
        routes=[Route("/{kind}", _answer)],
        middleware=[Middleware(middleware, minimum_size=500)],
    )


@pytest.mark.parametrize("kind", ["big", "small", "image", "encoded", "partial", "streamed"])
@pytest.mark.parametrize("accept", ["gzip, br", "identity", None])
async def test_same_answer_as_starlettes_gzip(kind: str, accept: str | None) -> None:
    headers = {"accept-encoding": accept} if accept else {}
    answers = []
    for middleware in (GZipMiddleware, Compression):
        transport = httpx.ASGITransport(app=_app(middleware))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            if accept is None:
                http.headers.pop("accept-encoding", None)
            response = await http.get(f"/{kind}", headers=headers)
            answers.append(
                (
                    response.status_code,
                    sorted((k, v) for k, v in response.headers.items() if k != "content-length"),
                    response.content,
                )
            )
    assert answers[0] == answers[1]
    if kind == "big" and accept is None:
        assert ("vary", "Accept-Encoding") in answers[1][1]  # what the fast path must add
