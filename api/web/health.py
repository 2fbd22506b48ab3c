"""`/healthz` (liveness: the process answers) and `/readyz` (readiness: the database reads and
writes within a deadline, the disk has room, migrations are applied). Short JSON bodies; a
failing `/readyz` answers 503 with `Retry-After` so load balancers stop sending traffic."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.infra import health
from api.infra.faults import RETRY_AFTER_SECONDS
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
