"""The response cache's version on SQLite: callers asking at the same time share one read (one
hop to SQLite's thread instead of one each), and none of them is told a version older than a
write committed before it asked."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.connection import connections

from api.infra import freshness
from api.infra.freshness import catalog_version
from tests.sqlcount import count_sql


async def _committed() -> int:
    _, rows = await connections.get("default").execute_query(
        "SELECT n FROM catalog_version WHERE id = 1"
    )
    return int(rows[0][0])


@pytest.mark.sqlite_only  # (PostgreSQL's version is the change bus's, counted in memory)
async def test_callers_at_the_same_time_share_a_read(database: str) -> None:
    with count_sql() as statements:
        versions = await asyncio.gather(*(catalog_version() for _ in range(20)))
    assert len(set(versions)) == 1
    # the first reads; the 19 that asked while it was under way share the next read
    assert len([s for s in statements if "catalog_version" in s]) == 2


@pytest.mark.sqlite_only
async def test_no_caller_is_told_a_version_older_than_a_commit_before_it_asked(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that took its snapshot before a commit (another worker's) is still under way
    when more callers arrive: they must get a read of their own, not its value."""
    real_select = freshness._select
    gate = asyncio.Event()

    async def slow_select(connection: object) -> int | None:
        found = await real_select(connection)  # type: ignore[arg-type]
        await gate.wait()  # the snapshot is taken; the answer is still on its way
        return found

    monkeypatch.setattr(freshness, "_select", slow_select)
    before = await _committed()
    early = asyncio.create_task(catalog_version())
    await asyncio.sleep(0.05)  # its SELECT has run
    assert freshness_reads_running() is not None
    await connections.get("default").execute_query(
        "UPDATE catalog_version SET n = n + 1 WHERE id = 1"
    )
    late = [asyncio.create_task(catalog_version()) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await early == before
    assert await asyncio.gather(*late) == [before + 1] * 5


def freshness_reads_running() -> object:
    reads = getattr(connections.get("default"), "_linli_version_reads", None)
    return None if reads is None else reads.running
