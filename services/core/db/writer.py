"""`WriteBehind`: writes the event loop hands off and does not wait for, done in order on a thread of their own.

Some stores are written from code that must stay synchronous and must not block the loop: NiceGUI page code that
ends a session or records an audit entry (`runtime.sessions.end(...)`, `runtime.audit.record(...)`), sign-in
paths that return a Session directly. They change their in-memory view at once and queue the database write here.

Why one thread and a queue rather than `db.run` tasks: the writes of one store must land in the order they were
made (a session created, then ended, must not be inserted after its end), which a pool of threads does not
promise. Why it retries instead of failing: a write queued here has already taken effect for the person (they
are signed out); when the database is briefly away the write waits and lands when it is back, in order, instead
of being lost. Only the process dying with writes still queued loses them, and `close()` (called on shutdown)
waits for the queue first.

Readers that must see their own process's writes call `flush()` first (the audit log's reads do).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.engine import Connection

from services.core.db.database import Database
from services.core.db.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

P = ParamSpec('P')
T = TypeVar('T')

FIRST_RETRY = 0.1
LAST_RETRY = 5.0


@dataclass
class _Item:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any] = field(default_factory=Future)


class WriteBehind:
    """Runs `fn(connection, ...)` transactions on `db`, one at a time, in submission order."""

    def __init__(self, db: Database, *, name: str = 'studio-db-writer') -> None:
        self._db = db
        self._queue: deque[_Item] = deque()
        self._condition = threading.Condition()
        self._busy = False  # an item is taken off the queue and not done yet
        self._closing = False
        # The last failure while the database was away, None once a write went through again (for /readyz).
        self.failing: DatabaseUnavailable | None = None
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue a write; returns a Future with its result, for the callers that do want to know (await it with
        `asyncio.wrap_future`). After `close()` the write is refused: the Future carries a RuntimeError."""
        item = _Item(fn, args, kwargs)
        with self._condition:
            if self._closing:
                item.future.set_exception(RuntimeError('the database writer is closed'))
                log.warning('database write %s refused: the writer is closed', _name(fn))
                return item.future
            self._queue.append(item)
            self._condition.notify_all()
        return item.future

    def pending(self) -> int:
        with self._condition:
            return len(self._queue) + self._busy

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written (or has failed for good); False on timeout. Blocking:
        from a coroutine use `await writer.drain()`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while self._queue or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._condition.wait(left)
        return True

    async def drain(self, seconds: float | None = None) -> bool:
        """`flush` for coroutines: waits on a worker thread, not on the loop."""
        return await asyncio.to_thread(self.flush, seconds)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (for at most `timeout` seconds while the database is away), then stop. Idempotent."""
        if not self.flush(timeout):
            log.warning('%d database writes were still waiting for the database at shutdown and are lost',
                        self.pending())
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._thread.join(timeout=5.0)

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._queue and not self._closing:
                    self._condition.wait()
                if not self._queue:
                    return  # closing, and nothing left
                item = self._queue.popleft()
                self._busy = True
            try:
                self._write(item)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def _write(self, item: _Item) -> None:
        delay = FIRST_RETRY
        while True:
            try:
                result = self._db.run_sync(item.fn, *item.args, **item.kwargs)
            except DatabaseUnavailable as unavailable:
                if self.failing is None:
                    log.warning('database unavailable, writes wait for it (%s)', unavailable)
                self.failing = unavailable
                with self._condition:
                    if self._closing:  # close() gave up waiting: fail the rest at once, not one timeout each
                        doomed = [item, *self._queue]
                        self._queue.clear()
                        for each in doomed:
                            each.future.set_exception(unavailable)
                        return
                    self._condition.wait(delay)
                delay = min(delay * 2, LAST_RETRY)
                continue
            except Exception as error:
                # A mistake in the write itself: retrying would fail the same way. Later writes go on.
                log.exception('database write %s failed', _name(item.fn))
                item.future.set_exception(error)
                return
            if self.failing is not None:
                log.info('database back: queued writes are going through again')
                self.failing = None
            item.future.set_result(result)
            return


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, '__qualname__', None) or repr(fn)
