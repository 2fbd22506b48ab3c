"""Making databases for tests and benches: which backends run, a fresh migrated database on
either backend, the demo neighbourhood in a SQLite file, the ORM opened for a while.

`LINLI_TEST_BACKENDS=sqlite` (comma-separated) restricts the backends; the PostgreSQL server
itself is a throwaway cluster (`pgcluster`) or the one `LINLI_TEST_POSTGRES_URL` names.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import connections

from api.infra import db
from tests.support.server import ROOT, linli_command

BACKENDS = ["sqlite", "postgres"]
if os.environ.get("LINLI_TEST_BACKENDS"):
    BACKENDS = os.environ["LINLI_TEST_BACKENDS"].split(",")


def sqlite_url(path: Path) -> str:
    return f"sqlite://{path}"


async def create_postgres_database(server_url: str, prefix: str = "linli") -> str:
    """A new, empty database in the PostgreSQL server `server_url` names; returns its URL."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + "/" + name


async def fresh_database(backend: str, directory: Path, postgres_server: str | None) -> str:
    """The URL of a new, migrated, empty database: a SQLite file in `directory`, or a new
    database in the PostgreSQL server `postgres_server` names."""
    if backend == "sqlite":
        url = sqlite_url(directory / "linli.sqlite3")
    elif postgres_server is None:
        raise RuntimeError("no PostgreSQL server")
    else:
        url = await create_postgres_database(postgres_server, "linli_storm")
    await migrate(url)
    return url


async def migrate(url: str) -> None:
    # Tortoise caches INSERT statements per connection name: every database uses "default".
    EXECUTOR_CACHE.clear()
    await db.migrate(url)


@asynccontextmanager
async def orm(url: str) -> AsyncIterator[None]:
    """The ORM opened on `url` for the block (data prepared before a server starts, rows read
    after it stopped)."""
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        yield
    finally:
        await db.close_orm()


async def truncate_all() -> None:
    """Empties every table of the open PostgreSQL database (identities restarted)."""
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()]
    await conn.execute_script(
        "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
    )


def load_demo(path: Path, *, volunteers: int = 0, events: int = 0) -> float:
    """Runs `linli demo` into the SQLite file `path` (with `volunteers`/`events`, the load
    generator); returns the seconds it took."""
    env = {
        **os.environ,
        "LINLI_DATABASE_URL": sqlite_url(path),
        "LINLI_DATA_DIR": str(path.parent / "data"),
    }
    command = linli_command("demo")
    if volunteers or events:
        command += ["--volunteers", str(volunteers), "--events", str(events)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"linli demo failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


async def write_elsewhere(url: str, statement: str) -> None:
    """A write committed beside the app (another worker, a job, the CLI, an operator), from a
    connection of its own."""
    if url.startswith("sqlite"):

        def run() -> None:
            connection = sqlite3.connect(url.removeprefix("sqlite://"), timeout=30)
            try:
                connection.execute("PRAGMA foreign_keys = ON")
                connection.execute(statement)
                connection.commit()
            finally:
                connection.close()

        await asyncio.to_thread(run)
        return
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
