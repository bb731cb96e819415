"""Draining on SIGTERM: refuse new work, keep serving, let running work finish (for a while), then exit.

A rolling restart stops one instance at a time with SIGTERM (systemd, Docker, Kubernetes). Exiting at once would
turn every cover being painted there (30-300 s) into "interrupted". Instead the instance drains:
- `draining` turns true: /readyz fails, so a load balancer that reads it sends new visitors elsewhere; new page
  loads are answered 503 with Retry-After (services/auth/access.py), which open-source nginx, deaf to /readyz,
  takes as "try the next instance"; the job manager refuses new generations with a message saying why; pages
  already open keep working meanwhile (their websockets, media and events);
- it waits until the running work is done, at most `seconds` (STUDIO_DRAIN_SECONDS, the slow timeout by default);
- then it asks the server to stop, which runs the usual shutdown (queued writes reach the database first).
A second SIGTERM, or SIGINT, stops at once.

The handler replaces uvicorn's own for SIGTERM only while the app runs; uvicorn restores the previous one when it
stops serving.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from types import FrameType

from services.core.i18n import N_

log = logging.getLogger(__name__)

DRAINING_MESSAGE = N_('This studio server is restarting for an update, so it starts no new generation. Reload the '
                      'page in a few seconds and try again; your draft and covers are kept.')
# What a new page load on a draining instance is told (with 503 and Retry-After): behind nginx nobody sees it, since
# nginx tries the next instance (deploy/nginx.conf.in); only a deployment with no other instance left shows it.
NEW_PAGE_MESSAGE = ('This studio server is restarting for an update. Reload the page in a few seconds; your work '
                    'is kept.')
NEW_PAGE_RETRY_AFTER = 5  # seconds: another instance takes over at once, or this one is back after its restart


class Drain:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.draining = False
        self.started_at: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wait_idle: Callable[[float], Awaitable[bool]] | None = None
        self._stop: Callable[[], None] | None = None
        self._installed = False

    def install(self, *, wait_idle: Callable[[float], Awaitable[bool]], stop: Callable[[], None]) -> None:
        """Handle SIGTERM from now on (call on the event loop, in the main thread, once the server runs).
        `wait_idle(seconds)` returns once nothing is running (True) or the time is up (False); `stop()` makes the
        server exit."""
        self._loop = asyncio.get_running_loop()
        self._wait_idle, self._stop = wait_idle, stop
        signal.signal(signal.SIGTERM, self._on_signal)
        self._installed = True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # A signal handler runs between two bytecodes of the main thread: only hand over to the loop.
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.begin)

    def begin(self) -> None:
        """Start draining (what SIGTERM does); the second time, stop at once."""
        if self.draining:
            log.warning('second SIGTERM while draining: stopping now')
            if self._stop is not None:
                self._stop()
            return
        self.draining = True
        self.started_at = time.monotonic()
        log.info('SIGTERM: draining (no new generations; running ones may take up to %.0f s), then stopping',
                 self.seconds)
        self._task = asyncio.get_running_loop().create_task(self._drain(), name='drain')

    async def _drain(self) -> None:
        idle = True
        if self._wait_idle is not None:
            try:
                idle = await self._wait_idle(self.seconds)
            except Exception:
                log.exception('waiting for running work failed')
        log.info('drained%s: stopping', '' if idle else ' (time up; what still runs is interrupted)')
        if self._stop is not None:
            self._stop()

    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at
