"""Tortoise's SQLite backend, tuned for several worker processes on one file.

* ``BEGIN IMMEDIATE``: a transaction takes the write lock when it starts, so two processes
  never both read a snapshot and then fight to upgrade it (``SQLITE_BUSY`` without waiting).
* ``busy_timeout``: a process waits for the lock instead of answering "database is locked".

It subclasses Tortoise's internal SQLite client classes, which may change in any minor release:
pyproject.toml pins tortoise-orm to the tested minor; re-run the suite before widening it.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionWrapper,
    TransactionContext,
)
from tortoise.backends.sqlite.client import SqliteTransactionContext as _Context
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class LinliSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return _Context(ImmediateTransactionWrapper(self), self._lock)


client_class = LinliSqliteClient
