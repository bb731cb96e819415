"""This instance's side of the waiting line (limits.py keeps the line itself, in the database).

The jobs waiting here each `await wait_turn(job_id)`. One pump task per instance, running only while someone waits,
moves the line (`GenerationLimits.pump`, one locked transaction for all of this instance's waiting jobs) whenever it
is woken, and at least every POLL_SECONDS: woken by a place given back here, and by another instance's change on
LINE_TOPIC (the change notifier calls `kick`). The jobs whose turn came are released; the others hear their
place, through `on_places`, for the person's page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from services.core.db import DatabaseUnavailable
from services.core.errors import UserFacingError
from services.studio.limits import GenerationLimits, Place

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
PLACE_LOST = ('Your cover lost its place in the waiting line because the studio could not reach its database for '
              'a while. Generate again to join the line.')


class PlaceLost(UserFacingError):
    """The waiting place expired (nobody renewed it); `user_message` says what to do."""


class CoverLine:
    def __init__(self, limits: GenerationLimits, on_places: Callable[[dict[str, Place]], None], *,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self._limits = limits
        self._on_places = on_places
        self._poll = poll_seconds
        self._waiters: dict[str, asyncio.Future[float]] = {}
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pump_task: asyncio.Task[None] | None = None
        limits.on_released(self._kick_threadsafe)

    def waiting_here(self) -> list[str]:
        return list(self._waiters)

    async def wait_turn(self, job_id: str) -> float:
        """Until this job holds a place (a lease); returns when it got it. Raises PlaceLost; cancelling the caller
        leaves the line (the caller's lease.release() deletes the row)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        if self._wake is None:
            self._wake = asyncio.Event()
        turn: asyncio.Future[float] = loop.create_future()
        self._waiters[job_id] = turn
        self.kick()
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = loop.create_task(self._pump(), name='cover-line-pump')
        try:
            return await turn
        finally:
            self._waiters.pop(job_id, None)

    def kick(self, *_: object) -> None:
        """Look at the line now (a place may have freed). On the event loop."""
        if self._wake is not None:
            self._wake.set()

    async def on_line_changed(self, _: object) -> None:
        """The change notifier's listener for LINE_TOPIC: another instance freed a place or admitted someone."""
        self.kick()

    def _kick_threadsafe(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.kick)

    async def _pump(self) -> None:
        assert self._wake is not None
        while self._waiters:
            self._wake.clear()
            asked = [job_id for job_id, turn in self._waiters.items() if not turn.done()]
            try:
                result = await self._limits.pump(asked)
            except DatabaseUnavailable:
                pass  # places are kept for LINE_SECONDS; the next round tries again
            except Exception:
                log.exception('the waiting line could not be moved')
            else:
                for job_id, since in result.admitted.items():
                    self._resolve(job_id, since)
                for job_id in result.lost:
                    self._resolve(job_id, PlaceLost(PLACE_LOST))
                if result.places:
                    self._on_places(result.places)
            if not self._waiters:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll)
            except TimeoutError:
                pass

    def _resolve(self, job_id: str, outcome: float | Exception) -> None:
        turn = self._waiters.get(job_id)
        if turn is None or turn.done():
            return
        if isinstance(outcome, Exception):
            turn.set_exception(outcome)
        else:
            turn.set_result(outcome)
