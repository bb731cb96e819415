"""A job manager as the app builds it (its database, queued writes, image store, leases), for the benchmarks that
drive jobs without a web server: `async with standalone_jobs(data_dir, client) as jobs: ...`."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from services.core.audit import AuditLog
from services.core.db import Database, database_url
from services.core.db.writer import WriteBehind
from services.platform.client import PlatformClient
from services.studio.image_store import ImageStore
from services.studio.jobs import JobManager
from services.studio.limits import GenerationLimits


@contextlib.asynccontextmanager
async def standalone_jobs(data_dir: Path, client: PlatformClient, *, per_user: int = 2, total: int = 50,
                          audit: bool = False, url: str | None = None) -> AsyncIterator[JobManager]:
    """`url`: a database URL as STUDIO_DATABASE_URL takes it (PostgreSQL); None is SQLite in `data_dir`."""
    db = Database(database_url(url, data_dir))
    db.upgrade()
    writer = WriteBehind(db)
    instance = f'bench-{socket.gethostname()}'
    jobs = JobManager(db, writer, images=ImageStore(db, writer), platform=client,
                      limits=GenerationLimits(db, writer, per_user, total, instance=instance),
                      audit=AuditLog(db, writer) if audit else None, instance=instance)
    try:
        yield jobs
    finally:
        await jobs.aclose()
        writer.close()
        db.close()
