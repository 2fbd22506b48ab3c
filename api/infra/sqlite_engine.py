"""Tortoise's SQLite backend, tuned for several worker processes on one file.

* ``BEGIN IMMEDIATE``: a transaction takes the write lock when it starts, so two processes
  never both read a snapshot and then fight to upgrade it (``SQLITE_BUSY`` without waiting).
* ``busy_timeout``: a process waits for the lock instead of answering "database is locked".
* A transaction that fails to start (the lock not had in time, a read-only file) or whose
  request is cancelled at its deadline while starting gives the connection back: Tortoise's
  own context keeps its lock when ``BEGIN`` fails, and every later query of the worker waits
  for it forever.
* After a commit, the callbacks registered with `api.infra.wakeups.after_commit` run.

It (and `api.infra.postgres_engine`) subclasses Tortoise's internal client classes, which may change in any minor release:
pyproject.toml pins tortoise-orm to the tested minor; re-run the suite before widening it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionWrapper,
    TransactionContext,
)
from tortoise.backends.sqlite.client import SqliteTransactionContext as _Context
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from api.infra.wakeups import RunsCommitHooks


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


_cleanups: set[asyncio.Task[None]] = set()


class ReleasingTransactionContext(RunsCommitHooks, _Context):
    __slots__ = ("hooks",)

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        handed_over = False  # to a cleanup task, which releases the lock
        try:
            await self.ensure_connection()
            begin = asyncio.ensure_future(self.connection.begin())
            try:
                await asyncio.shield(begin)
            except asyncio.CancelledError:
                # BEGIN still runs in SQLite's thread (perhaps waiting for the lock): once it
                # ends, undo it and give the connection back, without holding up the caller.
                cleanup = asyncio.create_task(self._undo(begin))
                _cleanups.add(cleanup)
                cleanup.add_done_callback(_cleanups.discard)
                handed_over = True
                raise
        except BaseException:
            if not handed_over:
                self._trxlock.release()
            raise
        self.token = get_connections().set(self.connection_name, self.connection)
        self.start_hooks()
        return self.connection

    async def _undo(self, begin: asyncio.Future[None]) -> None:
        try:
            with contextlib.suppress(Exception):
                await begin
                await self.connection._connection.rollback()
        finally:
            self._trxlock.release()


class LinliSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return ReleasingTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = LinliSqliteClient
