"""`ChangeNotifier`: one background task per process that turns other processes' changes into in-process calls.

Stores publish "something under topic/key changed" into the outbox (changes.py) in the transaction that changed
it. Every instance runs one notifier, which reads the rows after the last id it saw and calls the listeners its
stores registered for that topic (a job of this owner changed, this session ended, the accounts changed): they
reload what changed and tell their pages, exactly as for a change made in this process.

How it learns there is something to read:
- PostgreSQL: LISTEN on the outbox channel, on a connection of its own held by one thread (outside the pool, so
  it never takes a slot the pages need); every publish NOTIFYs at commit, so other instances read within
  milliseconds. It still polls every `POSTGRES_POLL` seconds, since a notification sent while the listening
  connection was being re-established is lost; the outbox rows are not.
- SQLite: no notifications exist; it polls every `SQLITE_POLL` seconds (one indexed query on the primary key).
Either way a change reaches every instance well within a second; the pages' slow timers are only a fallback.

A process skips rows it published itself (`origin`): it told its own pages when it made the change.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import make_url

from services.core.db import changes as outbox
from services.core.db.database import Database
from services.core.db.errors import DatabaseUnavailable
from services.core.listeners import Listeners

log = logging.getLogger(__name__)

SQLITE_POLL = 0.2
POSTGRES_POLL = 0.5
KEEP_CHANGES = 3600.0  # every instance has read a row long before this; older rows are purged
PURGE_EVERY = 600.0

Listener = Callable[[outbox.Change], Awaitable[None] | None]


class ChangeNotifier:
    """Call `subscribe(topic, listener)`; after `await start()` the listener hears of other processes' changes.

    Listeners run on the event loop. A plain function must only do quick in-memory work or schedule more; a
    coroutine function is run as a task of its own, so a slow one never holds up the others."""

    def __init__(self, db: Database, *, origin: str, interval: float | None = None) -> None:
        self.db = db
        self.origin = origin
        self.interval = interval if interval is not None else (
            POSTGRES_POLL if db.dialect == 'postgresql' else SQLITE_POLL)
        self._listeners: Listeners[Listener] = Listeners()
        self._last_id = 0
        self._task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._listen_thread: threading.Thread | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._poll_lock = asyncio.Lock()
        self._last_purge = time.monotonic()
        # The last failure while the database was away; None once a read went through (for /readyz).
        self.failing: DatabaseUnavailable | None = None
        self.last_read_at: float | None = None  # monotonic time of the last successful read

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Hear of `topic` changes other processes make; returns the function that stops it."""
        return self._listeners.add(topic, listener)

    @property
    def started(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Begin after the newest change: what happened before this process started is in the tables already."""
        if self.started:
            return
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        try:
            self._last_id = await self.db.read(outbox.latest_id)
        except DatabaseUnavailable as unavailable:
            self.failing = unavailable  # start anyway: the first poll after the database is back catches up
            log.warning('change notifier starting without the database: %s', unavailable)
        self._stop.clear()
        if self.db.dialect == 'postgresql':
            self._listen_thread = threading.Thread(target=self._listen, name='studio-db-listen', daemon=True)
            self._listen_thread.start()
        self._task = asyncio.create_task(self._run(), name='change notifier')

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            if self._wakeup is not None:
                self._wakeup.set()  # a round waiting for work ends at once
            done, _ = await asyncio.wait({self._task}, timeout=2.0)
            if not done:  # a round busy with the database: cut it short
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=5.0)
            self._task = None
        if self._listen_thread is not None:
            await asyncio.to_thread(self._listen_thread.join, 5.0)
            self._listen_thread = None
        for task in list(self._running):
            task.cancel()

    def wake(self) -> None:
        """Read the outbox now rather than at the next poll (thread-safe)."""
        loop, wakeup = self._loop, self._wakeup
        if loop is None or wakeup is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(wakeup.set)
        except RuntimeError:  # the loop closed in between
            pass

    async def poll(self) -> int:
        """Read and dispatch every change after the last one seen; returns how many reached a listener."""
        # One reader at a time (the loop, a wake-up, a caller): two would both read past the same id.
        async with self._poll_lock:
            return await self._poll()

    async def _poll(self) -> int:
        dispatched = 0
        while True:
            try:
                batch = await self.db.read(outbox.changes_after, self._last_id)
            except DatabaseUnavailable as unavailable:
                if self.failing is None:
                    log.warning('change notifier cannot read the outbox: %s', unavailable)
                self.failing = unavailable
                return dispatched
            if self.failing is not None:
                log.info('change notifier reads the outbox again')
                self.failing = None
            self.last_read_at = time.monotonic()
            if not batch:
                return dispatched
            self._last_id = batch[-1].id
            dispatched += self._dispatch(batch)
            if len(batch) < 500:
                return dispatched

    def _dispatch(self, batch: list[outbox.Change]) -> int:
        # Ten saves of one job in a batch are one "this owner's jobs changed": listeners reload, not replay.
        latest: dict[tuple[str, str], outbox.Change] = {}
        for change in batch:
            if change.origin != self.origin:
                latest.pop((change.topic, change.key), None)
                latest[(change.topic, change.key)] = change
        dispatched = 0
        for change in latest.values():
            for listener in self._listeners.of(change.topic):
                dispatched += 1
                try:
                    result = listener(change)
                    if inspect.isawaitable(result):
                        task = asyncio.ensure_future(result)
                        self._running.add(task)
                        task.add_done_callback(self._finished)
                except Exception:
                    log.exception('change listener for %s failed', change.topic)
        return dispatched

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error('change listener failed', exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until the listeners' tasks started so far are done (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def _run(self) -> None:
        assert self._wakeup is not None
        # Ends on the stop flag, not only on cancellation: Python 3.11's wait_for can swallow a cancel that
        # arrives as the wake-up does, and a round must never outlive stop().
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(self.interval):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
            self._wakeup.clear()
            if self._stop.is_set():
                return
            try:
                await self.poll()
                if time.monotonic() - self._last_purge > PURGE_EVERY:
                    self._last_purge = time.monotonic()
                    await self.db.run(outbox.purge, time.time() - KEEP_CHANGES)
            except DatabaseUnavailable:
                pass  # logged by poll / the database; the next round tries again
            except Exception:
                log.exception('change notifier round failed')

    def _listen(self) -> None:
        """PostgreSQL: hold a LISTEN connection and wake the notifier on every notification (own thread)."""
        import psycopg

        url = make_url(self.db.engine.url.render_as_string(hide_password=False)).set(drivername='postgresql')
        conninfo = url.render_as_string(hide_password=False)
        failed = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=5,
                                     application_name='agent-studio-listen') as connection:
                    connection.execute(f'LISTEN {outbox.CHANNEL}')
                    if failed:
                        log.info('listening for database changes again')
                        failed = False
                    self.wake()  # catch up on whatever was published while not listening
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            self.wake()
            except psycopg.Error as error:
                if not failed:
                    # The password never reaches the log: psycopg's message names host and port only.
                    log.warning('not listening for database changes (polling meanwhile): %s',
                                type(error).__name__)
                failed = True
                self._stop.wait(1.0)
