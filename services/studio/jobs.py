"""Server-side jobs per person: cover generation (30-300 s) and agent creation.

A job is an asyncio task owned by this process, not by a browser tab: closing the tab, reloading or
opening a second tab changes nothing about it. Every state change is written to SQLite under the data
directory, and finished covers are PNG files there (see CoverStore), so after a restart a finished cover
is still listed and usable within its validity, and a job that was running when the process stopped is
shown as "interrupted" (with its request kept, so one click regenerates it), never as "generating".

What a finished job means for the person's draft is written by the job itself, since no tab need be open: a
stored cover becomes the chosen one, and a created agent empties the draft for the next character.

Pages `subscribe(owner_id, callback)` to hear at once of every change to that owner's jobs, and compare
`version(owner_id)` (a counter that moves on every change) on a slow timer as a fallback; callers that are
not pages (benchmarks, tests) simply `await job.wait()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.auth.sessions import Principal
from services.core import metrics
from services.core.audit import AuditLog
from services.core.i18n import N_, _, task_context
from services.core.storage import open_sqlite
from services.platform.client import PlatformClient
from services.platform.errors import BusinessError, PlatformError
from services.platform.models import CoverRequest, CreateAgentRequest, wire
from services.studio.drafts import DraftStore
from services.studio.images import ImageRejected, decode_data_url_to_png
from services.studio.job import (
    CANCELLED_MESSAGE,
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
from services.studio.limits import GenerationLimits
from services.studio.media_store import PREVIEW_SUFFIX, CoverStore, preview_from_data_url
from services.studio.messages import describe, expired_cover

log = logging.getLogger(__name__)

# The record's names, importable from the runner as before.
__all__ = ['COVER_TTL', 'EXPECTED_SECONDS', 'EXPIRY_WARNING', 'INTERRUPTED_MESSAGE', 'KEEP_FINISHED', 'Job',
           'JobKind', 'JobManager', 'JobRefused', 'JobStatus']

class JobManager:
    def __init__(self, data_dir: Path, *, platform: PlatformClient, limits: GenerationLimits,
                 audit: AuditLog | None, drafts: DraftStore | None = None, cover_ttl: float = COVER_TTL) -> None:
        self.data_dir = data_dir
        self.covers = CoverStore(data_dir / 'covers')
        self.cover_ttl = cover_ttl
        self._platform = platform
        self._limits = limits
        self._audit = audit
        self._drafts = drafts  # finished jobs update their owner's draft (benchmarks run without drafts)
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}  # strong references: a task must not be collected
        self._cancel_requested: set[str] = set()
        self._versions: dict[str, int] = {}
        self._listeners: dict[str, list[Callable[[], None]]] = {}
        self._closed = False
        data_dir.mkdir(parents=True, exist_ok=True)
        self._db = open_sqlite(data_dir / 'jobs.sqlite3')
        self._db.execute('CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, '
                         'created_at REAL NOT NULL, data TEXT NOT NULL)')
        self._recover()

    # --- starting jobs --------------------------------------------------------------------------------

    def start_cover(self, principal: Principal, request: CoverRequest) -> Job:
        """Start generating a cover. Raises LimitExceeded (with .user_message) when over the fair-use limit.
        When the cover is stored it becomes the chosen one in the person's draft, whether or not a tab is open."""
        lease = self._limits.try_acquire(principal.owner_id)
        try:
            job = self._new_job(principal, 'cover', wire(request))
        except BaseException:
            lease.release()
            raise
        self._spawn(job, self._run_cover(job, principal, request, lease.release), cleanup=lease.release)
        return job

    def start_create(self, principal: Principal, request: CreateAgentRequest, *,
                     cover_job_id: str | None = None) -> Job:
        """Start creating the agent. Refuses at once when the chosen cover is known to have expired. Once the
        agent exists the person's draft is emptied for the next character (keeping this job to show)."""
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
        self._persist(job)
        self._spawn(job, self._run_create(job, principal, request))
        return job

    def regenerate(self, principal: Principal, job_id: str) -> Job:
        """Start a new cover with the same choices as an earlier (failed, interrupted or finished) one."""
        job = self.get(principal.owner_id, job_id)
        if job is None or job.kind != 'cover':
            raise JobRefused(_('That cover is no longer known; choose your look and generate again.'))
        return self.start_cover(principal, job.cover_request())

    def cancel_running(self, owner_id: str, kind: JobKind) -> int:
        """Cancel every running job of this kind of this owner; returns how many were running."""
        return sum(self.cancel(owner_id, job.id) for job in self.jobs_for(owner_id, kind) if job.running)

    def cancel(self, owner_id: str, job_id: str) -> bool:
        task = self._tasks.get(job_id)
        job = self._jobs.get(job_id)
        if task is None or job is None or job.owner_id != owner_id or not job.running:
            return False
        self._cancel_requested.add(job_id)
        task.cancel()
        return True

    # --- reading --------------------------------------------------------------------------------------

    def get(self, owner_id: str, job_id: str | None) -> Job | None:
        job = self._jobs.get(job_id or '')
        return job if job is not None and job.owner_id == owner_id else None

    def running_counts(self) -> dict[str, int]:
        """Jobs this process runs now, by kind (studio_jobs_running, counted when /metrics is read): its own tasks,
        so jobs another instance runs are never counted here too (Prometheus adds the instances up)."""
        with self._lock:
            return dict(Counter(self._jobs[job_id].kind for job_id in list(self._tasks) if job_id in self._jobs))

    def jobs_for(self, owner_id: str, kind: JobKind | None = None) -> list[Job]:
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner_id == owner_id and (kind is None or j.kind == kind)]
        return sorted(jobs, key=lambda j: j.created_at, reverse=True)

    def version(self, owner_id: str) -> int:
        return self._versions.get(owner_id, 0)

    def subscribe(self, owner_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback()` after every change to `owner_id`'s jobs; returns the function that stops it.
        Callbacks run inside the job (on the event loop, synchronously): they must only schedule work."""
        with self._lock:
            self._listeners.setdefault(owner_id, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                listeners = self._listeners.get(owner_id, [])
                if callback in listeners:
                    listeners.remove(callback)
                if not listeners:
                    self._listeners.pop(owner_id, None)

        return unsubscribe

    def listener_count(self, owner_id: str | None = None) -> int:
        with self._lock:
            if owner_id is not None:
                return len(self._listeners.get(owner_id, []))
            return sum(len(listeners) for listeners in self._listeners.values())

    def cover_path(self, owner_id: str, job_id: str) -> Path | None:
        job = self.get(owner_id, job_id)
        if job is None or not job.has_image:
            return None
        return self.covers.find(owner_id, job.id)

    def cover_preview_path(self, owner_id: str, job_id: str) -> Path | None:
        """The display-sized copy of a cover; the original when there is none (covers stored before previews
        existed, or a preview that could not be made)."""
        original = self.cover_path(owner_id, job_id)
        if original is None:
            return None
        return self.covers.find(owner_id, job_id, PREVIEW_SUFFIX) or original

    # --- running --------------------------------------------------------------------------------------

    async def _run_cover(self, job: Job, principal: Principal, request: CoverRequest,
                         release: Callable[[], None]) -> None:
        try:
            cover, trace_id = await self._platform.generate_cover(principal.credentials, request)
            job.trace_id = trace_id
            # A cover is a few MB of base64: decoding and writing it must not stall other people's pages.
            # The check and the display-sized preview decode the image side by side (two threads).
            png, preview = await asyncio.gather(asyncio.to_thread(decode_data_url_to_png, cover.imageData),
                                                asyncio.to_thread(preview_from_data_url, cover.imageData))
            await asyncio.to_thread(self.covers.save_cover, job.owner_id, job.id, png, preview)
            now = time.time()
            job.cover_id = cover.coverId
            job.has_image = True
            job.expires_at = now + self.cover_ttl
            self._finish(job, 'done', now)
            self._record('cover.generated', job, f'job {job.id} cover {cover.coverId} in {job.elapsed():.0f}s')
            self._update_draft(job, selected_cover_job=job.id)
        except PlatformError as error:
            self._fail(job, error, describe(error, 'generate the cover'))
            self._record('cover.failed', job, f'job {job.id}: {error}')
        except ImageRejected as error:
            job.error_message = error.user_message + ' ' + _('Try generating again.')
            self._finish(job, 'failed')
            self._record('cover.failed', job, f'job {job.id}: {error.user_message}')
        except asyncio.CancelledError:
            self._stopped(job)
            raise
        except Exception as error:
            self._crashed(job, error, N_('Something went wrong in the studio while generating ({error}).'),
                          'cover.failed')
        finally:
            release()

    async def _run_create(self, job: Job, principal: Principal, request: CreateAgentRequest) -> None:
        try:
            created, trace_id = await self._platform.create_agent(principal.credentials, request)
            job.trace_id = trace_id
            job.agent_id = created.agentId
            job.agent_name = created.name
            job.cover_url = created.coverUrl
            self._mark_used(job.owner_id, job.source_cover_job, created.name)
            self._finish(job, 'done')
            self._record('agent.created', job, f'agent {created.agentId} "{created.name}"')
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

    def _new_job(self, principal: Principal, kind: JobKind, request: dict[str, Any]) -> Job:
        job = Job(id=uuid.uuid4().hex, owner_id=principal.owner_id, actor=principal.user_id, kind=kind,
                  created_at=time.time(), request=request)
        job._finished = asyncio.Event()
        with self._lock:
            self._jobs[job.id] = job
        self._persist(job)
        return job

    def _spawn(self, job: Job, coro: Any, cleanup: Callable[[], None] | None = None) -> None:
        # Its messages (a failure, say) are worded in the language of the person who started it.
        task = asyncio.get_running_loop().create_task(coro, name=f'{job.kind}-job-{job.id}',
                                                         context=task_context())
        self._tasks[job.id] = task

        def done(_: asyncio.Task[None]) -> None:
            self._tasks.pop(job.id, None)
            # A task cancelled before it ever ran never reaches its own except/finally.
            if job.running:
                self._stopped(job)
            if cleanup is not None:
                cleanup()

        task.add_done_callback(done)

    def _fail(self, job: Job, error: PlatformError, message: str) -> None:
        job.error_message = message
        job.error_code = error.code
        job.trace_id = error.trace_id
        job.error_expired_cover = isinstance(error, BusinessError) and error.expired_cover
        self._finish(job, 'failed')

    def _crashed(self, job: Job, error: Exception, words: str, event: str) -> None:
        """A bug of ours, not the platform's: the person is told so in words, the log gets the traceback."""
        log.exception('%s job %s failed unexpectedly', job.kind, job.id)
        job.error_message = _(words).format(error=type(error).__name__)
        self._finish(job, 'failed')
        self._record(event, job, f'job {job.id}: {type(error).__name__}')

    def _stopped(self, job: Job) -> None:
        if job.id in self._cancel_requested:
            self._cancel_requested.discard(job.id)
            job.error_message = CANCELLED_MESSAGE
            self._finish(job, 'cancelled')
        else:  # the process is shutting down
            job.error_message = INTERRUPTED_MESSAGE
            self._finish(job, 'interrupted')

    def _finish(self, job: Job, status: JobStatus, now: float | None = None) -> None:
        job.status = status
        job.finished_at = now or time.time()
        metrics.job_finished(job.kind, status)  # studio_jobs_finished_total{kind, outcome}
        self._persist(job)
        if job._finished is not None:
            job._finished.set()

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

    def _record(self, event: str, job: Job, detail: str) -> None:
        if self._audit is None:
            return
        try:
            self._audit.record(event, actor=job.actor, detail=detail, trace_id=job.trace_id)
        except sqlite3.Error:
            log.exception('audit write failed for %s', event)

    # --- persistence ----------------------------------------------------------------------------------

    def _persist(self, job: Job) -> None:
        data = job.model_dump_json()
        with self._lock:
            if self._closed:
                return
            self._db.execute('INSERT OR REPLACE INTO jobs (id, owner_id, created_at, data) VALUES (?, ?, ?, ?)',
                             (job.id, job.owner_id, job.created_at, data))
            self._versions[job.owner_id] = self._versions.get(job.owner_id, 0) + 1
            listeners = list(self._listeners.get(job.owner_id, ()))
        for listener in listeners:
            # A page's mistake must never fail (or stop) the job that told it.
            try:
                listener()
            except Exception:
                log.exception('job listener of %s failed', job.owner_id)

    def _recover(self) -> None:
        cutoff = time.time() - KEEP_FINISHED
        rows = self._db.execute('SELECT id, data FROM jobs').fetchall()
        for job_id, data in rows:
            try:
                job = Job.model_validate(json.loads(data))
            except ValueError:
                log.warning('dropping unreadable job record %s', job_id)
                self._db.execute('DELETE FROM jobs WHERE id = ?', (job_id,))
                continue
            if job.created_at < cutoff and not job.running:
                self._db.execute('DELETE FROM jobs WHERE id = ?', (job.id,))
                self.covers.delete(job.owner_id, job.id)
                self.covers.delete(job.owner_id, job.id, PREVIEW_SUFFIX)
                continue
            if job.has_image and self.covers.find(job.owner_id, job.id) is None:
                job.has_image = False  # the file is gone (cleaned up by hand): the cover cannot be shown
            self._jobs[job.id] = job
            if job.running:
                job.status = 'interrupted'
                job.finished_at = time.time()
                job.error_message = INTERRUPTED_MESSAGE
                self._persist(job)

    def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        with self._lock:
            self._closed = True
            self._db.close()
