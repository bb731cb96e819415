"""What a job is: a cover generation (30-300 s) or an agent creation, as the person's pages show it and as the
`jobs` table keeps it (Job.model_dump, JSON). The job manager (jobs.py) runs them; this module only describes them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from pydantic import BaseModel, PrivateAttr

from services.core.errors import UserFacingError
from services.core.i18n import N_
from services.platform.models import CoverRequest

JobKind = Literal['cover', 'create']
JobStatus = Literal['running', 'done', 'failed', 'cancelled', 'interrupted']
COVER_TTL = 30 * 60.0  # the platform keeps a coverId valid for 30 minutes
EXPIRY_WARNING = 5 * 60.0  # flag a cover this long before it expires
EXPECTED_SECONDS = (30, 300)
KEEP_FINISHED = 24 * 3600.0  # older finished jobs (and their files) are dropped at start-up
# Kept in English with the job (they are written where no person is being answered: at shutdown or start-up) and
# translated where shown: pages pass a job's error_message through i18n.translate, which finds these two.
INTERRUPTED_MESSAGE = N_('This generation was interrupted because the studio restarted before it finished. '
                         'Regenerate to try again with the same choices.')
CANCELLED_MESSAGE = N_('Cancelled.')
# A waiting request lives in the instance that took it (it holds the person's credentials, which are never stored),
# so when that instance stops the place in line goes with it; one click queues the same choices again.
LINE_INTERRUPTED_MESSAGE = ('This cover was waiting in line when the studio restarted, so it lost its place. '
                            'Regenerate to join the line again with the same choices.')


class JobRefused(UserFacingError):
    """A job cannot start; `user_message` says why."""


class Job(BaseModel):
    id: str
    owner_id: str
    actor: str  # the user id, for the audit log
    kind: JobKind
    status: JobStatus = 'running'
    created_at: float
    finished_at: float | None = None
    request: dict[str, Any]  # the wire body (never any credential)
    trace_id: str | None = None
    # cover jobs
    cover_id: str | None = None
    expires_at: float | None = None
    has_image: bool = False
    used_for: str | None = None  # the agent this cover became (the platform takes a cover only once)
    # The waiting line (limits.py): a running job may still be waiting for a place; where it stands, and when it
    # should start (epoch seconds, from the typical generation time of the last `line_samples` covers).
    queued: bool = False
    line_position: int | None = None
    line_waiting: int | None = None
    line_starts_at: float | None = None
    line_typical: float | None = None
    line_samples: int = 0
    started_at: float | None = None  # when it got its place and the platform started painting
    # create jobs
    agent_id: str | None = None
    agent_name: str | None = None
    cover_url: str | None = None
    source_cover_job: str | None = None
    recovered: bool = False  # the platform's answer was lost, and the agent was found in its list instead
    # failures
    error_message: str | None = None
    error_code: int | None = None
    error_expired_cover: bool = False

    _finished: asyncio.Event | None = PrivateAttr(default=None)

    @property
    def running(self) -> bool:
        return self.status == 'running'

    def elapsed(self, now: float | None = None) -> float:
        """Seconds since it started painting (since it was asked, when it never had to wait)."""
        end = self.finished_at if self.finished_at is not None else (now or time.time())
        return max(0.0, end - (self.started_at or self.created_at))

    @property
    def waiting(self) -> bool:
        """Running, but still in the waiting line for a place."""
        return self.running and self.queued

    def seconds_left(self, now: float | None = None) -> float | None:
        """Validity left of a finished cover; None when there is no cover."""
        if self.kind != 'cover' or self.status != 'done' or self.expires_at is None:
            return None
        return self.expires_at - (now or time.time())

    def usable(self, now: float | None = None) -> bool:
        left = self.seconds_left(now)
        return left is not None and left > 0 and bool(self.cover_id) and not self.used_for

    def expiring_soon(self, now: float | None = None) -> bool:
        left = self.seconds_left(now)
        return left is not None and 0 < left <= EXPIRY_WARNING

    def cover_request(self) -> CoverRequest:
        return CoverRequest.model_validate(self.request)

    async def wait(self) -> Job:
        if self._finished is not None and self.running:
            await self._finished.wait()
        return self
