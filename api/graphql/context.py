"""The per-request context: who is asking, and the request's DataLoaders."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response
from strawberry.types import Info as _Info

from api.domain import sessions
from api.domain.actors import Actor
from api.graphql.loaders import Loaders
from api.http.sessions import end_session, set_session_cookie
from api.models import Volunteer

#: A live subscription checks its connection's credential again at most this often.
RECHECK_CREDENTIAL_SECONDS = 60.0


@dataclass
class Context:
    #: The HTTP request, or the WebSocket of a live connection (`WS /graphql`).
    request: HTTPConnection | None
    response: Response | None
    actor: Actor
    loaders: Loaders = field(default_factory=Loaders)
    #: The language the caller asked for (`Accept-Language`, or the page's), None if none.
    language: str | None = None
    #: WebSocket: the `connection_init` payload (set by the protocol handler).
    connection_params: dict[str, Any] | None = None
    #: WebSocket: whether the credential the actor came from (session, token) still works.
    credential_check: Callable[[], Awaitable[bool]] | None = None
    credential_checked_at: float = field(default_factory=time.monotonic)

    async def still_authenticated(self) -> bool:
        """For a long-lived connection: False once its session ended or its token was revoked
        (checked again at most every `RECHECK_CREDENTIAL_SECONDS`)."""
        if self.credential_check is None:
            return True
        now = time.monotonic()
        if now - self.credential_checked_at < RECHECK_CREDENTIAL_SECONDS:
            return True
        self.credential_checked_at = now
        return await self.credential_check()

    async def start_session(self, volunteer: Volunteer) -> None:
        """Logs the browser in: a new server-side session and its cookie (the previous
        session of this browser, if any, ends)."""
        if self.actor.session_id is not None:
            await sessions.end(self.actor.session_id)
        user_agent = self.request.headers.get("user-agent", "") if self.request else ""
        token, session = await sessions.open_session(volunteer.id, user_agent)
        self.actor = Actor(volunteer=volunteer, session_id=session.id)
        if self.response is not None:
            set_session_cookie(self.response, token)

    async def end_session(self) -> None:
        """Logs this browser out: its session record is deleted, so a copy of the cookie
        stops working too."""
        if self.actor.session_id is not None:
            await sessions.end(self.actor.session_id)
        self.actor = Actor()
        if self.response is not None:
            end_session(self.response)

    def forget_cookie(self) -> None:
        self.actor = Actor()
        if self.response is not None:
            end_session(self.response)

    @property
    def client_address(self) -> str:
        if self.request is None or self.request.client is None:
            return "local"
        return self.request.client.host


Info = _Info[Context, None]
