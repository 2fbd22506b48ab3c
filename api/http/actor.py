"""Who is asking: a session cookie (browsers) or `Authorization: Bearer` (API clients).

A bearer token that is unknown, expired or revoked is an error (401 with `WWW-Authenticate`),
never a silent fall back to anonymous: an API client must learn that its token stopped working.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from api.domain import api_tokens, sessions
from api.domain.actors import Actor
from api.http.cross_site import is_cross_site
from api.http.sessions import SESSION_COOKIE


class InvalidBearerToken(HTTPException):
    """401 for a bearer token that acts for no one (RFC 6750 `invalid_token`). Pages get it
    through Starlette's exception handling; the GraphQL view answers it as a GraphQL error."""

    def __init__(self) -> None:
        super().__init__(
            401,
            "The API token is unknown, expired or revoked.",
            headers={"WWW-Authenticate": 'Bearer realm="linli", error="invalid_token"'},
        )


async def actor_for(request: HTTPConnection, *, unsafe_method: bool = False) -> Actor:
    """The caller, worked out once per request (pages run several operations)."""
    cached: dict[bool, Actor] = request.state.__dict__.setdefault("linli_actors", {})
    if unsafe_method not in cached:
        cached[unsafe_method] = await _actor(request, unsafe_method)
    return cached[unsafe_method]


async def _actor(request: HTTPConnection, unsafe_method: bool) -> Actor:
    scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        found = await api_tokens.bearer(credentials.strip())
        if found is None:
            raise InvalidBearerToken()
        return Actor(volunteer=found.volunteer, scopes=found.scopes, token_id=found.token_id)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Actor()
    if unsafe_method:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json" or is_cross_site(request):
            return Actor()  # a cross-site form or fetch: the cookie does not count
    session = await sessions.resume(token)
    if session is None:  # logged out, expired, or never ours
        return Actor()
    return Actor(volunteer=session.volunteer, session_id=session.id)
