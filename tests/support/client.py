"""Talking to Linli as a client does: GraphQL over HTTP (in-process ASGI or a real server),
as a browser with cookies or as a volunteer with a signed session cookie."""

from __future__ import annotations

import ssl
from functools import lru_cache
from typing import Any

import httpx

from api.http.sessions import SESSION_COOKIE
from tests.support.factories import session_token


class GraphQLClient:
    """Posts operations as a browser (cookies kept) or as an API client."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer's `data`, asserting there were no errors."""
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


def cookie_for(volunteer_id: int) -> dict[str, str]:
    """The `Cookie` header of a volunteer's harness session (`factories.open_sessions`; no
    log-in needed)."""
    return {"Cookie": f"{SESSION_COOKIE}={session_token(volunteer_id)}"}


async def graphql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], volunteer_id: int | None
) -> dict[str, Any]:
    """One operation as the volunteer `volunteer_id` (or anonymous), over `http`."""
    headers = cookie_for(volunteer_id) if volunteer_id is not None else {}
    return await GraphQLClient(http)(query, variables, **headers)


def http_client(base_url: str, concurrency: int, timeout: float = 60) -> httpx.AsyncClient:
    """A client for a few parallel requests to a real server. (httpcore's pool scans every
    waiting request against every connection on each change: with hundreds waiting, the
    client itself becomes the bottleneck. The storm uses one client per lane instead.)"""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=timeout, verify=_tls(), trust_env=False
    )


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every client (plain HTTP here; building one per client is slow)."""
    return ssl.create_default_context()
