"""Test set-up: every database test runs on SQLite and on PostgreSQL.

* SQLite: migrations are applied once to a template file, copied for each test.
* PostgreSQL: a throwaway cluster (Debian's packages, loopback port) is started once per
  session, migrated once; tables are emptied between tests. When `CI` is set, PostgreSQL is
  mandatory: a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import connections

from api.infra import clock, db
from tests import pgcluster

ROOT = Path(__file__).resolve().parent.parent
# One cluster per test session: parallel sessions must not stop each other's server.
PG_DIR = ROOT / ".pgtest" / str(os.getpid())
BACKENDS = ["sqlite", "postgres"]
if os.environ.get("LINLI_TEST_BACKENDS"):
    BACKENDS = os.environ["LINLI_TEST_BACKENDS"].split(",")

os.environ.setdefault("LINLI_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("LINLI_DATA_DIR", str(ROOT / "data" / "test"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: runs on SQLite only")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    if "postgres" not in BACKENDS:
        yield None
        return
    url = os.environ.get("LINLI_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if not pgcluster.available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required under CI (apt-get install postgresql)")
        yield None
        return
    url = pgcluster.start(PG_DIR)
    try:
        yield url
    finally:
        pgcluster.stop(PG_DIR)
        shutil.rmtree(PG_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
async def postgres_template(postgres_server: str | None) -> str | None:
    if postgres_server is None or "postgres" not in BACKENDS:
        return None
    name = f"linli_test_{uuid.uuid4().hex[:8]}"
    url = (
        pgcluster.create_database(PG_DIR, name)
        if not os.environ.get("LINLI_TEST_POSTGRES_URL")
        else postgres_server
    )
    await db.migrate(url)
    return url


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "linli.sqlite3"
    await db.migrate(f"sqlite://{path}")
    return path


async def _truncate_all() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()]
    await conn.execute_script(
        "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
    )


@pytest.fixture(params=BACKENDS)
async def database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_template: str | None,
) -> AsyncIterator[str]:
    """A migrated, empty database with the ORM open; yields its URL."""
    backend = request.param
    # Tortoise caches INSERT statements per connection name: both backends use "default".
    EXECUTOR_CACHE.clear()
    if backend == "postgres":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("SQLite-specific behaviour")
        url = postgres_template
        if url is None:
            pytest.skip("PostgreSQL not installed (mandatory under CI)")
        await db.init_orm(url)
        await _truncate_all()
        await connections.get("default").execute_script(
            "INSERT INTO catalog_version (id, n) VALUES (1, 0)"
        )
    else:
        path = tmp_path / "linli.sqlite3"
        shutil.copy(sqlite_template, path)
        url = f"sqlite://{path}"
        await db.init_orm(url)
    try:
        yield url
    finally:
        clock.set_clock(None)
        await db.close_orm()


@pytest.fixture
async def client(database: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the real ASGI app (the ORM is opened by `database`)."""
    from api.app import create_app

    app = create_app(database)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


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
        body = response.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]
