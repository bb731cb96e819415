"""What every job of the studio goes through, whatever it does (services.studio.jobs says what covers and
creations do): started as a task of this process, cancelled here or on the instance running it, finished with an
outcome that is written to the jobs table and published, drained on SIGTERM, kept owned by a heartbeat, and after
a restart marked interrupted.

The layers: JobView (job_view.py) reads and follows the jobs, JobRunner (here) runs them, JobManager (jobs.py)
knows covers and agents.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from services.auth.sessions import Principal
from services.core import metrics
from services.core.audit import AuditLog
from services.core.db import Database
from services.core.db.changes import Change
from services.core.db.writer import WriteBehind
from services.core.drain import DRAINING_MESSAGE
from services.core.i18n import _, task_context
from services.platform.errors import BusinessError, PlatformError
from services.studio import budgets, job_store
from services.studio.image_store import ImageStore
from services.studio.job import (
    CANCELLED_MESSAGE,
    INTERRUPTED_MESSAGE,
    KEEP_FINISHED,
    LINE_INTERRUPTED_MESSAGE,
    Job,
    JobKind,
    JobRefused,
    JobStatus,
)
from services.studio.job_view import JobView
from services.studio.limits import GenerationLimits

log = logging.getLogger(__name__)


class JobRunner(JobView):
    """Starting, stopping and recording jobs, whatever they do: a job is a task of this process, its every change
    written to the jobs table and published; a SIGTERM drains, a heartbeat keeps the running ones owned."""

    def __init__(self, db: Database, writer: WriteBehind, *, images: ImageStore, limits: GenerationLimits,
                 audit: AuditLog | None, instance: str, origin: str | None = None) -> None:
        super().__init__(db, images)
        self._writer = writer
        self.instance = instance  # written on the jobs this process runs
        self.origin = origin  # names this process in the changes it publishes
        self._limits = limits
        self._audit = audit
        self._cancel_requested: set[str] = set()
        self.draining = False
        self._recover()

    # --- cancelling ----------------------------------------------------------------------------------------------

    def cancel_running(self, owner_id: str, kind: JobKind) -> int:
        """Cancel every running job of this kind of this owner; returns how many were running."""
        return sum(self.cancel(owner_id, job.id) for job in self.jobs_for(owner_id, kind) if job.running)

    def cancel(self, owner_id: str, job_id: str) -> bool:
        """Cancel a running job, here or on the instance running it (which hears of it within a second)."""
        job = self._jobs.get(job_id)
        if job is None or job.owner_id != owner_id or not job.running:
            return False
        task = self._tasks.get(job_id)
        if task is None:
            self._writer.submit(job_store.request_cancel, job_id, self.origin)
            return True
        self._cancel_requested.add(job_id)
        task.cancel()
        return True

    def _refuse_while_draining(self) -> None:
        if self.draining:
            raise JobRefused(_(DRAINING_MESSAGE))

    # --- draining and stopping -----------------------------------------------------------------------------------

    def running_counts(self) -> dict[str, int]:
        """Jobs running in this process now, by kind (studio_jobs_running, counted when /metrics is read): its
        own tasks, not every job it knows of, so instances sharing the jobs table never count one twice."""
        with self._lock:
            return dict(Counter(self._jobs[job_id].kind for job_id in list(self._tasks) if job_id in self._jobs))

    def start_draining(self) -> None:
        """SIGTERM: start nothing new from now on; what runs goes on."""
        self.draining = True

    def running_here(self) -> int:
        return len(self._tasks) + len(self._storing)

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no job runs in this process (True), or `seconds` passed (False)."""
        deadline = time.monotonic() + seconds
        while self._tasks or self._storing:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.wait([*self._tasks.values(), *self._storing.values()], timeout=left)
        return True

    async def aclose(self) -> None:
        """Interrupt what still runs, but keep every cover that already arrived: it is being stored, and that
        finishes first (SIGTERM never throws away a cover that reached the process)."""
        for task in list(self._tasks.values()):
            task.cancel()
        pending = [*self._tasks.values(), *self._storing.values()]
        if pending:
            await asyncio.wait(pending, timeout=30.0)

    def close(self) -> None:
        """Synchronous stop (reconfiguration, tests): running tasks are cancelled and record 'interrupted'."""
        for task in list(self._tasks.values()):
            task.cancel()

    def on_cancel_requested(self, change: Change) -> None:
        """Another instance asked to cancel a job this one runs."""
        task = self._tasks.get(change.key)
        if task is not None:
            self._cancel_requested.add(change.key)
            task.cancel()

    # --- a job's life --------------------------------------------------------------------------------------------

    def _new_job(self, principal: Principal, kind: JobKind, request: dict[str, Any]) -> Job:
        job = Job(id=uuid.uuid4().hex, owner_id=principal.owner_id, actor=principal.user_id, kind=kind,
                  created_at=time.time(), request=request)
        job._finished = asyncio.Event()
        return job

    def _add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
        self._persist(job)

    def _spawn(self, job: Job, coro: Coroutine[Any, Any, None], cleanup: Callable[[], None] | None = None) -> None:
        # Its messages (a failure, say) are worded in the language of the person who started it.
        task = asyncio.get_running_loop().create_task(coro, name=f'{job.kind}-job-{job.id}',
                                                         context=task_context())
        self._tasks[job.id] = task

        def done(_: asyncio.Task[None]) -> None:
            self._tasks.pop(job.id, None)
            # A task cancelled before it ever ran never reaches its own except/finally.
            if job.running and job.id not in self._storing:
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
        if not job.running:
            return  # finished just before the cancellation reached it: the result stands
        if job.id in self._cancel_requested:
            self._cancel_requested.discard(job.id)
            job.error_message = CANCELLED_MESSAGE
            self._finish(job, 'cancelled')
        else:  # the process is shutting down
            job.error_message = LINE_INTERRUPTED_MESSAGE if job.queued else INTERRUPTED_MESSAGE
            self._finish(job, 'interrupted')

    def _finish(self, job: Job, status: JobStatus, now: float | None = None) -> None:
        job.status = status
        job.finished_at = now or time.time()
        metrics.job_finished(job.kind, status)  # studio_jobs_finished_total{kind, outcome}
        if job.kind == 'cover':
            if status == 'done':  # its time feeds the waiting line's estimates
                self._writer.submit(budgets.record_seconds, job.id, job.elapsed())
            else:  # only covers count against a budget
                self._writer.submit(budgets.refund, [job.id])
        self._persist(job)
        if job._finished is not None:
            job._finished.set()

    def _record(self, event: str, job: Job, detail: str) -> None:
        if self._audit is not None:
            self._audit.record(event, actor=job.actor, detail=detail, trace_id=job.trace_id)

    # --- persistence ---------------------------------------------------------------------------------------------

    def _persist(self, job: Job) -> None:
        self._writer.submit(job_store.save, job.model_dump(mode='json'), self.instance, self.origin)
        self._changed(job.owner_id)

    def _recover(self) -> None:
        """Start-up (blocking, before serving): the jobs this instance ran before it restarted are gone, and old
        finished ones are dropped with their images."""
        self.db.run_sync(job_store.interrupt, message=INTERRUPTED_MESSAGE, origin=self.origin, instance=self.instance)
        self.db.run_sync(job_store.purge, time.time() - KEEP_FINISHED)

    async def heartbeat(self) -> None:
        """One round of the heartbeat (runtime runs it every HEARTBEAT_SECONDS): renew this instance's running
        jobs and leases, and mark interrupted the running jobs of instances that stopped renewing theirs."""
        if self._tasks or self._storing:  # nothing to renew when nothing runs here
            await self.db.run(job_store.heartbeat, self.instance)
            await self._limits.renew()
        stale = await self.db.run(job_store.interrupt, message=INTERRUPTED_MESSAGE, origin=self.origin,
                                  stale_before=time.time() - job_store.STALE_SECONDS, exclude=self.instance)
        if stale:
            log.info('marked %d job(s) of stopped instances interrupted', len(stale))
            for owner_id in {job.owner_id for job_id in stale if (job := self._jobs.get(job_id))}:
                await self._reload(owner_id)
