"""The per-request context: who is asking, and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from api.domain.actors import Actor
from api.graphql.loaders import Loaders
from api.http.sessions import end_session, start_session
from api.models import Volunteer


@dataclass
class Context:
    request: Request | None
    response: Response | None
    actor: Actor
    loaders: Loaders = field(default_factory=Loaders)
    #: The language the caller asked for (`Accept-Language`, or the page's), None if none.
    language: str | None = None

    def start_session(self, volunteer: Volunteer) -> None:
        self.actor = Actor(volunteer=volunteer)
        if self.response is not None:
            start_session(self.response, volunteer.id)

    def end_session(self) -> None:
        if self.response is not None:
            end_session(self.response)

    @property
    def client_address(self) -> str:
        if self.request is None or self.request.client is None:
            return "local"
        return self.request.client.host


Info = _Info[Context, None]
