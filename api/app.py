"""The Starlette application: GraphQL, pages, static files; the ORM opened per worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise

from api.graphql.view import make_graphql_app
from api.http.compression import Compression
from api.http.graphql_endpoint import GraphQLEndpoint
from api.http.observability import RequestObservability
from api.http.security_headers import SecurityHeaders
from api.http.serving import BodyTimeout
from api.http.unavailable import ServiceUnavailableMiddleware
from api.infra import change_bus
from api.infra.db import tortoise_config
from api.infra.rate_counter import SharedCounters
from api.jobs import scheduler
from api.settings import get_settings
from api.web.certificates import certificate_routes
from api.web.health import healthz, metrics_endpoint, readyz
from api.web.organizer import organizer_routes
from api.web.pages import page_routes
from api.web.unavailable import unavailable_page


def create_app(database_url: str | None = None) -> Starlette:
    settings = get_settings()
    graphql_app = make_graphql_app()
    counters = SharedCounters()  # this worker's share of the rate-limit counts

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            RegisterTortoise(app, config=tortoise_config(database_url)),
            scheduler.running(),
            change_bus.running(database_url or settings.database_url),
        ):
            try:
                yield
            finally:
                await counters.close()  # the points counted here reach the database

    routes = [
        Route(
            "/graphql",
            # rate limits, GraphQL over HTTP, the response cache, 503s: one pass
            GraphQLEndpoint(graphql_app, counters, deadline=settings.request_deadline_seconds),
            methods=["GET", "POST"],
        ),
        WebSocketRoute("/graphql", graphql_app),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        *page_routes(),
        *organizer_routes(),
        *certificate_routes(),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        max_body_size=settings.max_body_size,
        middleware=[
            # outermost: request id, access log, metrics by route and status
            Middleware(RequestObservability, routes=routes, access=settings.access_log),
            Middleware(SecurityHeaders),  # on every answer, the 503 page's too
            # database faults and overrun deadlines answer 503 + Retry-After (/graphql: its own)
            Middleware(
                ServiceUnavailableMiddleware,
                page=unavailable_page,
                deadline=settings.request_deadline_seconds,
                served_elsewhere={"/graphql"},
            ),
            Middleware(BodyTimeout),
            Middleware(Compression, minimum_size=512),  # pages, assets and answers, gzipped
        ],
    )
    app.state.rate_counters = counters
    return app
