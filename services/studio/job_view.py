"""What this instance knows of people's jobs, wherever they run: the view page code reads synchronously.

The `jobs` table is the truth; each instance keeps the jobs of the people it shows in memory, because page code asks
`jobs_for(owner)` / `get(owner, id)` on the event loop, where no query may run. A page first `await load(owner)`;
from then on the owner's jobs are kept current: this process's own changes at once, other instances' through the
change notifier (`on_jobs_changed`), each followed by the owner's listeners (`subscribe`). Jobs this process runs
are never replaced by what the table says: its own copy is the newest.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from services.core.db import Database, DatabaseUnavailable
from services.core.db.changes import Change
from services.core.listeners import Listeners
from services.studio import job_store
from services.studio.image_store import PHOTO, ImageStore
from services.studio.job import Job, JobKind

log = logging.getLogger(__name__)


class JobView:
    def __init__(self, db: Database, images: ImageStore) -> None:
        self.db = db
        self.images = images
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._loaded: set[str] = set()  # owners whose jobs are in this view (and kept current)
        self._tasks: dict[str, asyncio.Task[None]] = {}  # jobs running in this process
        self._storing: dict[str, asyncio.Task[None]] = {}  # covers that arrived and are being kept
        self._versions: dict[str, int] = {}
        self._listeners: Listeners[Callable[[], None]] = Listeners()

    # --- reading --------------------------------------------------------------------------------------

    async def load(self, owner_id: str) -> None:
        """Put the owner's jobs in this instance's view (a page does this before it is built) and keep them
        current from now on. Raises DatabaseUnavailable."""
        if owner_id not in self._loaded:
            self._merge(owner_id, *await self.db.read(job_store.load_owner, owner_id))

    def _ensure(self, owner_id: str) -> None:
        if owner_id not in self._loaded:
            # A caller that did not `await load()` first (a bug, not a state): answer right, at a blocking cost.
            log.warning('jobs of %s read before they were loaded; loading them on the event loop', owner_id)
            self._merge(owner_id, *self.db.read_sync(job_store.load_owner, owner_id))

    def get(self, owner_id: str, job_id: str | None) -> Job | None:
        self._ensure(owner_id)
        job = self._jobs.get(job_id or '')
        return job if job is not None and job.owner_id == owner_id else None

    def jobs_for(self, owner_id: str, kind: JobKind | None = None) -> list[Job]:
        self._ensure(owner_id)
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner_id == owner_id and (kind is None or j.kind == kind)]
        return sorted(jobs, key=lambda j: j.created_at, reverse=True)

    def version(self, owner_id: str) -> int:
        return self._versions.get(owner_id, 0)

    def subscribe(self, owner_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback()` after every change to `owner_id`'s jobs, made here or on another instance; returns
        the function that stops it. Callbacks run on the event loop, synchronously: they must only schedule work."""
        return self._listeners.add(owner_id, callback)

    def listener_count(self, owner_id: str | None = None) -> int:
        return self._listeners.count(owner_id)

    async def cover_image(self, owner_id: str, job_id: str) -> bytes | None:
        job = self.get(owner_id, job_id)
        if job is None or not job.has_image:
            return None
        return await self.images.load(owner_id, job.id)

    async def cover_preview(self, owner_id: str, job_id: str) -> tuple[bytes, str] | None:
        """The display-sized copy of a cover (the original when there is none), with its media type."""
        job = self.get(owner_id, job_id)
        if job is None or not job.has_image:
            return None
        return await self.images.load_preview(owner_id, job.id)

    async def photo(self, owner_id: str, photo_id: str) -> bytes | None:
        return await self.images.load(owner_id, photo_id, PHOTO)

    # --- what other instances did -------------------------------------------------------------------------

    async def on_jobs_changed(self, change: Change) -> None:
        """The change notifier's listener: another instance changed this owner's jobs."""
        if change.key in self._loaded:
            await self._reload(change.key)

    async def _reload(self, owner_id: str) -> None:
        try:
            self._merge(owner_id, *await self.db.read(job_store.load_owner, owner_id))
        except DatabaseUnavailable:
            pass  # the next change or the heartbeat's sweep tries again; pages keep what they show

    def _merge(self, owner_id: str, rows: list[dict[str, Any]], stored: set[str]) -> None:
        """Take the table's word for the owner's jobs, in place: a Job object someone holds (a page, a waiting
        caller) stays the one that is current. Listeners hear of it only when something did change."""
        seen = set()
        changed = False
        with self._lock:
            for data in rows:
                try:
                    job = Job.model_validate(data)
                except ValidationError:
                    log.warning('skipping unreadable job record %s', data.get('id'))
                    continue
                seen.add(job.id)
                if job.id in self._tasks or job.id in self._storing:
                    continue  # running here: this process's copy is the one that is current
                job.has_image = job.has_image and job.id in stored  # an image purged by hand cannot be shown
                existing = self._jobs.get(job.id)
                if existing is None:
                    self._jobs[job.id] = job
                    changed = True
                elif existing.model_dump() != job.model_dump():
                    for name in Job.model_fields:
                        setattr(existing, name, getattr(job, name))
                    changed = True
            for job_id in [j.id for j in self._jobs.values() if j.owner_id == owner_id and j.id not in seen]:
                if job_id not in self._tasks and job_id not in self._storing:
                    del self._jobs[job_id]  # purged
                    changed = True
            self._loaded.add(owner_id)
        if changed:
            self._changed(owner_id)

    def _changed(self, owner_id: str) -> None:
        with self._lock:
            self._versions[owner_id] = self._versions.get(owner_id, 0) + 1
        for listener in self._listeners.of(owner_id):
            # A page's mistake must never fail (or stop) the job that told it.
            try:
                listener()
            except Exception:
                log.exception('job listener of %s failed', owner_id)
