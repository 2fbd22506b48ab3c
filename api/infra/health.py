"""Readiness probes: can this worker serve requests right now?

Each probe has its own deadline, so a frozen database makes `/readyz` answer "not ready"
quickly instead of hanging like the requests it should warn about:

* ``read``: a query answers;
* ``write``: a (no-op) update commits — fails on a read-only or full database, or when the
  write lock cannot be had in time;
* ``disk``: the data directory (and an SQLite file's directory) has enough free space;
* ``migrations``: every migration in `migrations/` is applied (remembered once true).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import connections
from tortoise.transactions import in_transaction

import migrations
from api.infra.faults import is_unavailable, reason_of
from api.settings import get_settings

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
_migrations_applied = False


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    detail: str = "ok"


async def _read() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _write() -> None:
    # catalog_version's single row: no trigger counts this update, nothing reads it changed
    async with in_transaction() as connection:
        await connection.execute_query("UPDATE catalog_version SET n = n WHERE id = 1")


def expected_migrations() -> set[str]:
    return {p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py")}


async def pending_migrations() -> set[str]:
    _, rows = await connections.get("default").execute_query(
        "SELECT name FROM tortoise_migrations WHERE app = 'models'"
    )
    return expected_migrations() - {str(row[0]) for row in rows}


async def _migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    pending = await pending_migrations()
    if pending:
        raise RuntimeError("pending: " + ", ".join(sorted(pending)))
    _migrations_applied = True


def _disk_paths() -> list[Path]:
    settings = get_settings()
    paths = [settings.data_dir]
    if settings.is_sqlite:
        file_path = expand_db_url(settings.database_url)["credentials"]["file_path"]
        if file_path != ":memory:":
            paths.append(Path(file_path).resolve().parent)
    return paths


def disk_problem() -> str | None:
    """A short description when free space is below the threshold, else None."""
    minimum = get_settings().min_free_disk_bytes
    for path in _disk_paths():
        existing = path
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        free = shutil.disk_usage(existing).free
        if free < minimum:
            return f"low: {free // (1024 * 1024)} MB free in {path}"
    return None


async def _disk() -> None:
    problem = await asyncio.to_thread(disk_problem)
    if problem:
        raise RuntimeError(problem)


async def _probe(name: str, check: Callable[[], Awaitable[None]], deadline: float) -> Probe:
    try:
        async with asyncio.timeout(deadline):
            await check()
    except TimeoutError:
        return Probe(name, False, "timeout")
    except Exception as exc:  # a probe reports its failure, never raises it
        if is_unavailable(exc):
            return Probe(name, False, reason_of(exc))
        return Probe(name, False, str(exc)[:200] or type(exc).__name__)
    return Probe(name, True)


async def readiness() -> list[Probe]:
    """Every probe, run concurrently, each within the readiness deadline."""
    deadline = get_settings().ready_timeout_seconds
    checks: dict[str, Callable[[], Awaitable[None]]] = {
        "read": _read,
        "write": _write,
        "disk": _disk,
        "migrations": _migrations,
    }
    return list(
        await asyncio.gather(*(_probe(name, check, deadline) for name, check in checks.items()))
    )
