"""On PostgreSQL each shape of SQL is prepared once per connection: Tortoise runs statements
with asyncpg's `fetch(sql, *args)`, which prepares the statement and keeps it in the
connection's cache (`statement_cache_size`, set in api/infra/db.py); later executions only
bind new values. PostgreSQL's own view of the session, `pg_prepared_statements`, shows it: one
prepared statement per shape, executed as often as the ORM ran it."""

import pytest
from tortoise.connection import connections
from tortoise.transactions import in_transaction

from api.infra.db import STATEMENT_CACHE_SIZE
from api.models import Volunteer
from tests import factories


async def test_each_shape_is_prepared_once_and_executed_many_times(database):
    if database.startswith("sqlite"):
        pytest.skip("PostgreSQL's prepared statements")
    people = [await factories.volunteer(f"邻居{i}") for i in range(4)]
    async with in_transaction() as connection:  # one connection: its own statement cache
        for person in people:  # the same shape, another value each time
            assert (await Volunteer.get(id=person.id)).display_name == person.display_name
        for n in (1, 2, 2, 3):  # IN (…) with n values: one shape per n
            assert len(await Volunteer.filter(id__in=[p.id for p in people[:n]])) == n
        _, rows = await connection.execute_query(
            "SELECT statement, generic_plans + custom_plans AS runs FROM pg_prepared_statements"
        )
    runs = {row["statement"]: row["runs"] for row in rows}
    by_id = [s for s in runs if 'FROM "volunteer" WHERE "id"=$1' in s]
    assert len(by_id) == 1 and runs[by_id[0]] == 4, runs
    in_lists = sorted(runs[s] for s in runs if 'FROM "volunteer" WHERE "id" IN (' in s)
    assert in_lists == [1, 1, 2], runs  # n = 1, 3 once; n = 2 twice, prepared once


async def test_the_pool_keeps_enough_statements(database):
    if database.startswith("sqlite"):
        pytest.skip("PostgreSQL's prepared statements")
    pool = connections.get("default")._pool
    async with pool.acquire() as connection:
        assert connection._stmt_cache.get_max_size() == STATEMENT_CACHE_SIZE
