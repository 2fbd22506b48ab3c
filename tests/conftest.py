"""Test set-up: every database test runs on SQLite and on PostgreSQL.

* SQLite: migrations are applied once to a template file, copied for each test.
* PostgreSQL: a throwaway cluster (Debian's packages, loopback port) is started once per
  session, migrated once; tables are emptied between tests. When `CI` is set, PostgreSQL is
  mandatory: a missing server fails the run instead of skipping.

Fixtures: `database` (a migrated, empty database with the ORM open, on each backend), `client`
(HTTP to the ASGI app), `gql` (GraphQL through `client`), `fake_clock` (time the test moves),
`recorder` (the only notification channel, recording), `postgres_server`. The harness itself
lives in `tests/support/`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from tortoise.connection import connections

from api.infra import clock
from tests.support import pgcluster
from tests.support.client import GraphQLClient
from tests.support.databases import BACKENDS, migrate, orm, truncate_all
from tests.support.fakes import FakeClock, Recorder

__all__ = ["BACKENDS", "PG_DIR", "ROOT", "GraphQLClient"]  # imported by test modules

ROOT = Path(__file__).resolve().parent.parent
# One cluster per test session: parallel sessions must not stop each other's server.
PG_DIR = ROOT / ".pgtest" / str(os.getpid())

os.environ.setdefault("LINLI_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("LINLI_DATA_DIR", str(ROOT / "data" / "test"))
# Rate limits are off unless a test sets them (bursts from one address are the point of many
# tests); tests/http/test_rate_limits.py turns them on.
os.environ.setdefault("LINLI_RATE_LIMIT_POINTS", "0")
os.environ.setdefault("LINLI_RATE_LIMIT_ANONYMOUS_POINTS", "0")


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
    await migrate(url)
    return url


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "linli.sqlite3"
    await migrate(f"sqlite://{path}")
    return path


@pytest.fixture(params=BACKENDS)
async def database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_template: str | None,
) -> AsyncIterator[str]:
    """A migrated, empty database with the ORM open; yields its URL."""
    backend = request.param
    if backend == "postgres":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("SQLite-specific behaviour")
        url = postgres_template
        if url is None:
            pytest.skip("PostgreSQL not installed (mandatory under CI)")
    else:
        path = tmp_path / "linli.sqlite3"
        shutil.copy(sqlite_template, path)
        url = f"sqlite://{path}"
    async with orm(url):
        if backend == "postgres":
            await truncate_all()
            await connections.get("default").execute_script(
                "INSERT INTO catalog_version (id, n) VALUES (1, 0)"
            )
        try:
            yield url
        finally:
            clock.set_clock(None)


@pytest.fixture
async def client(database: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the real ASGI app (the ORM is opened by `database`)."""
    from api.app import create_app

    app = create_app(database)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    """GraphQL through `client` (its cookies: log in with `factories.log_in_as(client, who)`)."""
    return GraphQLClient(client)


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    """`api.infra.clock` frozen at the real time now; the test moves it (`at`, `advance`)."""
    fake = FakeClock()
    yield fake
    fake.restore()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """The only outbound notification channel during the test; `recorder.sent` lists messages."""
    channel = Recorder().install()
    yield channel
    channel.restore()
