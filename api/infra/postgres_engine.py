"""Tortoise's asyncpg backend, with a transaction that gives its connection back when it
fails to start (the server down or frozen, the request cancelled at its deadline).

Tortoise's own pooled context acquires a connection and then runs ``BEGIN``; when that fails,
its ``__aexit__`` never runs, so the connection never returns to the pool: after a few such
failures the pool is empty and the worker hangs until restarted.

After a commit, the callbacks registered with `api.infra.wakeups.after_commit` run."""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    TransactionalDBClient,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections

from api.infra.wakeups import CommitHooks

RELEASE_TIMEOUT_SECONDS = 5.0


class ReleasingPooledContext(TransactionContextPooled):
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
        self.hooks = CommitHooks()
        self.hooks.start()
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        committed = False
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
            committed = exc_type is None
        finally:
            self.hooks.finish(committed)


class LinliAsyncpgClient(AsyncpgDBClient):
    def _in_transaction(self) -> TransactionContext:
        return ReleasingPooledContext(TransactionWrapper(self), self._pool_init_lock)


client_class = LinliAsyncpgClient
