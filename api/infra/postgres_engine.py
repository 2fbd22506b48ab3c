"""Tortoise's asyncpg backend, with a transaction that gives its connection back when it
fails to start (the server down or frozen, the request cancelled at its deadline).

Tortoise's own pooled context acquires a connection and then runs ``BEGIN``; when that fails,
its ``__aexit__`` never runs, so the connection never returns to the pool: after a few such
failures the pool is empty and the worker hangs until restarted.

After a commit, the callbacks registered with `api.infra.wakeups.after_commit` run."""

from __future__ import annotations

import contextlib

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    TransactionalDBClient,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections

from api.infra.wakeups import RunsCommitHooks

RELEASE_TIMEOUT_SECONDS = 5.0


class ReleasingPooledContext(RunsCommitHooks, TransactionContextPooled):
    __slots__ = ("hooks",)

    async def __aenter__(self) -> TransactionalDBClient:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            with contextlib.suppress(Exception):
                # a connection that cannot be reset in time is closed by asyncpg
                await pool.release(self.client._connection, timeout=RELEASE_TIMEOUT_SECONDS)
            raise
        self.start_hooks()
        return self.client


class LinliAsyncpgClient(AsyncpgDBClient):
    def _in_transaction(self) -> TransactionContext:
        return ReleasingPooledContext(TransactionWrapper(self), self._pool_init_lock)


client_class = LinliAsyncpgClient
