"""Searches on the event loop share a transaction: one COMMIT for every search that was
ready, and no answer before the COMMIT that makes its audit row durable.

A search's cost is about a millisecond, a fifth of it the COMMIT of its audit row. When
several clients search at once, their requests are read in the same turn of the event
loop; the first opens a transaction, each runs in it (its own savepoint, so a refused
one undoes only itself), and a callback queued behind them commits once. Each answer
waits for that commit: if it fails, the transaction is rolled back and every search in
it fails (500): no search is served whose audit row was not written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lookup.access import Conflict, Forbidden, Invalid, NotFound
from lookup.sqlite_store import Database


class GroupCommit:
    """Run calls in one open transaction of ``db`` and answer them after its COMMIT."""

    def __init__(self, db: Database):
        self.db = db
        self._open: Any = None  # the entered transaction() context, while one is open
        self._waiting: list[tuple[asyncio.Future, Any]] = []
        self.commits = 0  # COMMITs made (for tests and benchmarks)
        self.calls = 0

    def run(self, call: Callable[..., Any], *args: Any) -> asyncio.Future | None:
        """On the event loop: ``call(*args)`` inside the group's transaction; a future of its
        result, set once the transaction is committed. None (nothing run) when another
        thread holds the database: the caller then runs it in a worker thread."""
        if not self.db.lock.acquire(blocking=False):
            return None
        try:
            loop = asyncio.get_running_loop()
            if self._open is None:
                context = self.db.transaction()
                context.__enter__()  # holds the lock (and the write transaction) until _commit
                self._open = context
                loop.call_soon(self._commit)  # behind every request already read this turn
            try:
                result = call(*args)
            except (Forbidden, Conflict, NotFound, Invalid):
                raise  # refused before anything was written: answered at once
            except BaseException:
                self.db.reload()  # its savepoint was rolled back: cached state as the file has it
                raise
            future = loop.create_future()
            self._waiting.append((future, result))
            self.calls += 1
            return future
        finally:
            self.db.lock.release()

    def _commit(self) -> None:
        context, waiting = self._open, self._waiting
        self._open, self._waiting = None, []
        try:
            context.__exit__(None, None, None)
        except BaseException as error:  # the COMMIT failed: nothing in it was written
            self.db.abandon()
            for future, _ in waiting:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        self.commits += 1
        for future, result in waiting:
            if not future.done():
                future.set_result(result)


__all__ = ["GroupCommit"]
