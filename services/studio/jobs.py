"""Server-side jobs per person: cover generation (30-300 s) and agent creation, run by whichever instance the
person asked, seen by every instance.

A job is an asyncio task owned by the instance that started it, not by a browser tab: closing the tab, reloading or
opening a second tab (on any instance) changes nothing about it. Every state change is written to the shared
`jobs` table (job_store.py) and published, and finished covers are stored in the `images` table, so any instance
lists and serves them, and after a restart a finished cover is still usable within its validity.

Instances die and restart. The running instance renews a heartbeat on its running jobs; when it stops, a surviving
instance marks them "interrupted" within 30 s (the request kept, so one click regenerates it), and a restarted one
does so for its own at once. On SIGTERM the instance drains: `start_draining()` refuses new jobs with a message
saying why, and `wait_idle()` lets the running ones finish.

Page code reads synchronously (`jobs_for`, `get`) from this instance's view, so a page first `await load(owner)`;
other instances' changes reach that view through the change notifier (`on_jobs_changed`). Writes are queued on
the WriteBehind, in order, never awaited by the loop. Pages `subscribe(owner_id, callback)` to hear at once of
every change to that owner's jobs, and compare `version(owner_id)` on a slow timer as a fallback; callers that
are not pages (benchmarks, tests) simply `await job.wait()`.

What a finished job means for the person's draft is written by the job itself, since no tab need be open: a
stored cover becomes the chosen one, and a created agent empties the draft for the next character.

This module says what covers and creations do; running any job (its task, cancelling, the drain, the heartbeat,
recording its outcome) is JobRunner's (job_runner.py), and reading and following them JobView's (job_view.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from services.auth.sessions import Principal
from services.core.audit import AuditLog
from services.core.db import Database, DatabaseUnavailable
from services.core.db.writer import WriteBehind
from services.core.i18n import N_, _
from services.platform.client import PlatformClient
from services.platform.errors import BusinessError, PlatformError
from services.platform.models import CoverRequest, CreateAgentRequest, wire
from services.studio.drafts import DraftStore
from services.studio.image_store import ImageStore
from services.studio.images import ImageRejected, decode_data_url_to_png
from services.studio.job import (
    COVER_TTL,
    EXPECTED_SECONDS,
    EXPIRY_WARNING,
    INTERRUPTED_MESSAGE,
    KEEP_FINISHED,
    Job,
    JobKind,
    JobRefused,
    JobStatus,
)
from services.studio.job_runner import JobRunner
from services.studio.limits import GenerationLimits, Lease, Place, Who
from services.studio.lost_answers import answer_lost, find_created
from services.studio.media_store import preview_from_data_url
from services.studio.messages import describe, expired_cover
from services.studio.queue import CoverLine, PlaceLost

__all__ = ['COVER_TTL', 'EXPECTED_SECONDS', 'EXPIRY_WARNING', 'INTERRUPTED_MESSAGE', 'KEEP_FINISHED', 'Job',
           'JobKind', 'JobManager', 'JobRefused', 'JobStatus']

log = logging.getLogger(__name__)


class JobManager(JobRunner):
    def __init__(self, db: Database, writer: WriteBehind, *, images: ImageStore, platform: PlatformClient,
                 limits: GenerationLimits, audit: AuditLog | None, instance: str, origin: str | None = None,
                 drafts: DraftStore | None = None, cover_ttl: float = COVER_TTL) -> None:
        super().__init__(db, writer, images=images, limits=limits, audit=audit, instance=instance, origin=origin)
        self.cover_ttl = cover_ttl
        self._platform = platform
        self._drafts = drafts  # finished jobs update their owner's draft (benchmarks run without drafts)
        self.line = CoverLine(limits, self._line_moved)  # covers waiting here for a place

    # --- starting jobs -------------------------------------------------------------------------------------------

    async def start_cover(self, principal: Principal, request: CoverRequest) -> Job:
        """Start generating a cover, or put it in the waiting line when the deployment's cap is reached (the job
        runs from the start either way; `job.waiting` while it waits, with its place). Raises LimitExceeded (with
        .user_message) over the person's own cap or budget (counted across every instance), JobRefused while this
        instance drains. When the cover is stored it becomes the chosen one in the person's draft, whether or not a
        tab is open."""
        self._refuse_while_draining()
        await self.load(principal.owner_id)  # the person's other jobs, if this instance has not shown them yet
        job = self._new_job(principal, 'cover', wire(request))
        lease = await self._limits.admit(Who(principal.owner_id, principal.user_id, principal.mode), job.id)
        try:
            self._refuse_while_draining()  # SIGTERM may have come while the lease was being taken
            if lease.place is not None:
                self._place(job, lease.place)
            else:
                job.started_at = lease.started
            self._add(job)
        except BaseException:
            lease.release()
            raise
        self._spawn(job, self._wait_and_run(job, principal, request, lease), cleanup=lease.release)
        return job

    async def _wait_and_run(self, job: Job, principal: Principal, request: CoverRequest, lease: Lease) -> None:
        if lease.waiting:
            try:
                started = await self.line.wait_turn(job.id)
            except PlaceLost as lost:
                job.error_message = lost.user_message
                self._finish(job, 'failed')
                return
            job.queued = False
            job.started_at = started
            self._persist(job)
        await self._run_cover(job, principal, request, lease.release)

    def _place(self, job: Job, place: Place) -> None:
        job.queued = True
        job.line_position = place.position
        job.line_waiting = place.waiting
        job.line_starts_at = place.starts_at
        job.line_typical = place.typical
        job.line_samples = place.samples

    def _line_moved(self, places: dict[str, Place]) -> None:
        """The pump's news for the jobs waiting here. Written (so every instance shows it) when the place or the
        estimate moved; a longer line behind someone only tells this instance's pages, since with many waiting
        every newcomer would otherwise rewrite every waiting job."""
        for job_id, place in places.items():
            job = self._jobs.get(job_id)
            if job is None or not job.waiting:
                continue
            moved = job.line_position != place.position or abs((job.line_starts_at or 0) - place.starts_at) > 15
            grew = job.line_waiting != place.waiting
            if moved or grew:
                self._place(job, place)
                if moved:
                    self._persist(job)
                else:
                    self._changed(job.owner_id)

    def start_create(self, principal: Principal, request: CreateAgentRequest, *,
                     cover_job_id: str | None = None) -> Job:
        """Start creating the agent. Refuses at once when the chosen cover is known to have expired. Once the
        agent exists the person's draft is emptied for the next character (keeping this job to show)."""
        self._refuse_while_draining()
        if cover_job_id is not None:
            cover_job = self.get(principal.owner_id, cover_job_id)
            if cover_job is not None and cover_job.used_for:
                raise JobRefused(_('This cover was already used for {agent}; the platform takes each cover once. '
                                   'Generate a new one.').format(agent=cover_job.used_for))
            if cover_job is None or not cover_job.usable():
                raise JobRefused(expired_cover())
        running = [j for j in self.jobs_for(principal.owner_id, 'create') if j.running]
        if running:
            raise JobRefused(_('This agent is already being created; wait for it to finish.'))
        job = self._new_job(principal, 'create', wire(request))
        job.source_cover_job = cover_job_id
        self._add(job)
        self._spawn(job, self._run_create(job, principal, request))
        return job

    async def regenerate(self, principal: Principal, job_id: str) -> Job:
        """Start a new cover with the same choices as an earlier (failed, interrupted or finished) one."""
        job = self.get(principal.owner_id, job_id)
        if job is None or job.kind != 'cover':
            raise JobRefused(_('That cover is no longer known; choose your look and generate again.'))
        return await self.start_cover(principal, job.cover_request())

    # --- running -------------------------------------------------------------------------------------------------

    async def _run_cover(self, job: Job, principal: Principal, request: CoverRequest,
                         release: Callable[[], None]) -> None:
        try:
            cover, trace_id = await self._platform.generate_cover(principal.credentials, request)
            job.trace_id = trace_id
            # From here on the cover exists: keeping it is not cancelled with the job (SIGTERM, a sign-out).
            keep = asyncio.ensure_future(self._keep_cover(job, cover.coverId, cover.imageData))
            self._storing[job.id] = keep
            keep.add_done_callback(lambda _: self._storing.pop(job.id, None))
            await asyncio.shield(keep)
        except PlatformError as error:
            self._fail(job, error, describe(error, 'generate the cover'))
            self._record('cover.failed', job, f'job {job.id}: {error}')
        except asyncio.CancelledError:
            if job.id not in self._storing:
                self._stopped(job)
            raise
        except Exception as error:
            self._crashed(job, error, N_('Something went wrong in the studio while generating ({error}).'),
                          'cover.failed')
        finally:
            release()

    async def _keep_cover(self, job: Job, cover_id: str, image_data: str) -> None:
        try:
            # A cover is a few MB of base64: decoding and writing it must not stall other people's pages.
            # The check and the display-sized preview decode the image side by side (two threads).
            png, preview = await asyncio.gather(asyncio.to_thread(decode_data_url_to_png, image_data),
                                                asyncio.to_thread(preview_from_data_url, image_data))
            await self.images.save_cover(job.owner_id, job.id, png, preview)
        except ImageRejected as error:
            job.error_message = error.user_message + ' ' + _('Try generating again.')
            self._finish(job, 'failed')
            self._record('cover.failed', job, f'job {job.id}: {error.user_message}')
            return
        except DatabaseUnavailable as error:
            job.error_message = _('The cover arrived but could not be kept: {reason}').format(reason=error.user_message)
            self._finish(job, 'failed')
            self._record('cover.failed', job, f'job {job.id}: {error}')
            return
        await self._load_draft(job)
        now = time.time()
        job.cover_id = cover_id
        job.has_image = True
        job.expires_at = now + self.cover_ttl
        self._finish(job, 'done', now)
        self._record('cover.generated', job, f'job {job.id} cover {cover_id} in {job.elapsed():.0f}s')
        self._update_draft(job, selected_cover_job=job.id)

    async def _run_create(self, job: Job, principal: Principal, request: CreateAgentRequest) -> None:
        sent_at = time.time()
        try:
            try:
                created, trace_id = await self._platform.create_agent(principal.credentials, request)
            except PlatformError as error:
                if not answer_lost(error):
                    raise
                # The answer is lost, but the agent may exist: look before saying "try again" (a duplicate).
                lookup = await find_created(self._platform, self.db, principal.credentials, request, sent_at)
                if lookup.agent is None:
                    self._fail(job, error, describe(error, 'create the agent') + lookup.advice)
                    self._record('agent.failed', job, f'job {job.id}: {error} (not found in the agent list)'
                                 if lookup.checked else f'job {job.id}: {error} (the agent list could not be read)')
                    return
                log.info('agent creation answer lost (%s); found agent %s in the list', error, lookup.agent.agentId)
                created, trace_id = lookup.agent, error.trace_id
                job.recovered = True
            job.trace_id = trace_id
            job.agent_id = created.agentId
            job.agent_name = created.name
            job.cover_url = created.coverUrl
            await self._load_draft(job)
            self._mark_used(job.owner_id, job.source_cover_job, created.name)
            self._finish(job, 'done')
            self._record('agent.created', job, f'agent {created.agentId} "{created.name}"'
                         + (' (its answer was lost; found in the agent list)' if job.recovered else ''))
            self._update_draft(job, clear=True, create_job=job.id, step='create')
        except PlatformError as error:
            if isinstance(error, BusinessError) and error.expired_cover and job.source_cover_job:
                self._expire_cover(job.owner_id, job.source_cover_job)
            self._fail(job, error, describe(error, 'create the agent'))
            self._record('agent.failed', job, f'job {job.id}: {error}')
        except asyncio.CancelledError:
            self._stopped(job)
            raise
        except Exception as error:
            self._crashed(job, error, N_('Something went wrong in the studio while creating ({error}).'),
                          'agent.failed')

    async def _load_draft(self, job: Job) -> None:
        """Have the owner's draft in memory before the job finishes, so that finishing and telling the draft are
        one step: whoever waits for the job finds the draft told."""
        if self._drafts is not None:
            try:
                await self._drafts.load(job.owner_id)
            except DatabaseUnavailable:
                pass  # _update_draft reports it

    def _update_draft(self, job: Job, *, clear: bool = False, **changes: Any) -> None:
        """Tell the owner's draft what the finished job means for it. A draft that cannot be written must not
        fail the job: the cover or the agent exists either way."""
        if self._drafts is None:
            return
        try:
            if clear:
                self._drafts.clear(job.owner_id, **changes)
            else:
                self._drafts.update(job.owner_id, **changes)
        except Exception:
            log.exception('the draft of %s could not take the result of job %s', job.owner_id, job.id)

    def _mark_used(self, owner_id: str, cover_job_id: str | None, agent_name: str) -> None:
        cover_job = self.get(owner_id, cover_job_id)
        if cover_job is not None:
            cover_job.used_for = agent_name
            self._persist(cover_job)

    def _expire_cover(self, owner_id: str, cover_job_id: str) -> None:
        """The platform says the cover expired before our clock did: believe the platform."""
        cover_job = self.get(owner_id, cover_job_id)
        if cover_job is not None and cover_job.expires_at is not None and cover_job.expires_at > time.time():
            cover_job.expires_at = time.time()
            self._persist(cover_job)
