"""Waking background jobs in this process: "there is new work" without waiting for the next
periodic scan. A wake-up is a hint, never the only way work is found: the scan stays."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any


class Wakeup:
    """A flag with waiters: `notify()` wakes the job now or makes its next `wait()` return."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pending = False
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        self._pending = True
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, seconds: float) -> bool:
        """True when woken, False when `seconds` passed first."""
        if not self._pending:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, seconds)
            except TimeoutError:
                return False
            finally:
                self._waiters.discard(waiter)
        self._pending = False
        return True


#: outbox rows were committed: turn them into notifications
outbox_written = Wakeup("outbox")
#: notifications were made: send them on the outbound channels
notifications_made = Wakeup("delivery")
#: third-party webhook messages were made (or asked again): send them
webhooks_made = Wakeup("webhooks")

# Callbacks waiting for the current transaction to commit (set by the database engines).
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "linli_after_commit", default=None
)


def after_commit(callback: Callable[[], None]) -> None:
    """Runs `callback` once the current transaction commits (at once outside one; never when
    it rolls back). Another worker could not see the rows before the commit."""
    pending = _after_commit.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


class CommitHooks:
    """Used by the engines' transaction contexts: `start()` on BEGIN, `finish(committed)` after."""

    def __init__(self) -> None:
        self._token: Token[list[Callable[[], None]] | None] | None = None

    def start(self) -> None:
        if _after_commit.get() is None:  # nested transactions share the outermost's list
            self._token = _after_commit.set([])

    def finish(self, committed: bool) -> None:
        if self._token is None:
            return
        callbacks = _after_commit.get() or []
        _after_commit.reset(self._token)
        self._token = None
        if committed:
            for callback in callbacks:
                callback()


class RunsCommitHooks:
    """Mixin for the engines' transaction contexts (put it first among the bases): after-commit
    callbacks are collected from BEGIN (`start_hooks()` in `__aenter__`) and run once the
    transaction has committed; a rollback drops them."""

    hooks: CommitHooks

    def start_hooks(self) -> None:
        self.hooks = CommitHooks()
        self.hooks.start()

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        committed = False
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)  # type: ignore[misc]
            committed = exc_type is None
        finally:
            self.hooks.finish(committed)
