"""`/healthz` (liveness: the process answers) and `/readyz` (readiness: the database reads and
writes within a deadline, the disk has room, migrations are applied). Short JSON bodies; a
failing `/readyz` answers 503 with `Retry-After` so load balancers stop sending traffic."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.infra import health, metrics
from api.infra.faults import RETRY_AFTER_SECONDS
from api.jobs import delivery
from api.settings import get_settings

NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> JSONResponse:
    """Liveness: touches nothing outside the process (a slow database must not get a healthy
    worker restarted)."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request: Request) -> JSONResponse:
    # its own overall deadline, a little above the probes' (they run concurrently)
    try:
        async with asyncio.timeout(get_settings().ready_timeout_seconds + 1.0):
            probes = await health.readiness()
    except TimeoutError:
        return JSONResponse(
            {"status": "unavailable", "checks": {"all": "timeout"}},
            status_code=503,
            headers={**NO_STORE, "Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    checks = {p.name: p.detail for p in probes}
    if all(p.ok for p in probes):
        return JSONResponse({"status": "ready", "checks": checks}, headers=NO_STORE)
    return JSONResponse(
        {"status": "unavailable", "checks": checks},
        status_code=503,
        headers={**NO_STORE, "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


_GAUGES = {
    "outbox_backlog": "Outbox rows not yet turned into notifications",
    "notifications_pending": "Notifications not yet delivered on the outbound channels",
    "notifications_undelivered": "Notifications given up on after the last delivery attempt",
}


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format: every worker's counters and histograms, and the queues in the
    database counted now (`linli_database_up 0` when they cannot be counted in time)."""
    gauges: dict[str, tuple[str, float]] = {}
    try:
        async with asyncio.timeout(get_settings().ready_timeout_seconds):
            depths = await delivery.queue_depths()
    except Exception:  # the process metrics are still worth having
        gauges["linli_database_up"] = ("1 when the database answered the queue counts", 0)
    else:
        gauges["linli_database_up"] = ("1 when the database answered the queue counts", 1)
        for name, value in depths.items():
            gauges[f"linli_{name}"] = (_GAUGES[name], value)
    body, content_type = metrics.exposition(gauges)
    return Response(body, media_type=content_type, headers=NO_STORE)
