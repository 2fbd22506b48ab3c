"""Every request: a request id (the caller's `X-Request-Id` when it is sane, else a new one,
echoed in the answer), one access-log line (JSON, `linli.access`), and Prometheus metrics by
route and status with a latency histogram. Unhandled errors are logged with the id."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.infra import logs, metrics

access_log = logging.getLogger("linli.access")
error_log = logging.getLogger("linli.http")

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestObservability:
    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute], access: bool = True) -> None:
        self.app = app
        self.access = access
        self.route_of: dict[int, str] = {}
        self._counted: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        for route in routes:
            if isinstance(route, Route | WebSocketRoute | Mount):
                endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
                self.route_of.setdefault(id(endpoint), route.path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            error_log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            raise
        finally:
            seconds = time.perf_counter() - started
            route = self.route_of.get(id(scope.get("endpoint")), "unmatched")
            method = scope["method"]
            counted = self._counted.get((route, method, status))
            if counted is None:  # (the labelled series, looked up once)
                counted = self._counted[(route, method, status)] = (
                    metrics.HTTP_REQUESTS.labels(route, method, str(status)),
                    metrics.HTTP_LATENCY.labels(route, method),
                )
            counted[0].inc()
            counted[1].observe(seconds)
            if self.access:
                access_log.info(
                    "%s %s %s",
                    method,
                    scope["path"],
                    status,
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
            logs.request_id.reset(token)
