"""The `jobs` table: every cover generation and agent creation of every instance, and who is running which.

A job's row carries the whole Job (its `data`, JSON) plus the columns queries need: the status, the instance
running it and that instance's last heartbeat. The instance that runs a job is the only one that writes it while it
runs, renewing `heartbeat_at` every HEARTBEAT_SECONDS; a running job whose heartbeat is older than STALE_SECONDS
belongs to an instance that died, and any other instance marks it interrupted (its request kept, so one click
regenerates it) and frees its generation lease or its place in the waiting line. A restarted instance (same
STUDIO_INSTANCE_ID) does the same for its own running jobs at once, since whatever ran them is gone.

Every write publishes `TOPIC` with the owner id, so every instance showing that person reloads their jobs; a cancel
asked on one instance for a job another runs is published as `CANCEL_TOPIC` with the job id.

Plain functions on a Connection: the job manager runs them with `db.run` / `db.read` or queues them on the
WriteBehind, all on worker threads.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from services.core.db import changes as outbox
from services.core.db.schema import images
from services.core.db.schema import jobs as table
from services.studio import budgets
from services.studio.job import LINE_INTERRUPTED_MESSAGE
from services.studio.limits import release_leases

TOPIC = 'jobs'
CANCEL_TOPIC = 'job-cancel'
HEARTBEAT_SECONDS = 5.0
STALE_SECONDS = 20.0  # four missed heartbeats: with a sweep every HEARTBEAT_SECONDS, found within 25 s of a death


def save(connection: Connection, data: dict[str, Any], instance: str | None, origin: str | None) -> None:
    """Insert or replace one job (`data` is Job.model_dump(mode='json')) and tell every instance."""
    values = {'owner_id': data['owner_id'], 'kind': data['kind'], 'status': data['status'],
              'created_at': data['created_at'], 'data': data}
    if data['status'] == 'running':
        values.update(instance=instance, heartbeat_at=time.time())
    result = connection.execute(update(table).where(table.c.id == data['id']).values(**values))
    if not result.rowcount:
        connection.execute(insert(table).values(id=data['id'], **values))
    outbox.publish(connection, TOPIC, data['owner_id'], origin=origin)


def load_owner(connection: Connection, owner_id: str) -> tuple[list[dict[str, Any]], set[str]]:
    """The owner's jobs (their data), and the ids of those whose cover image is stored."""
    rows = connection.execute(select(table.c.data).where(table.c.owner_id == owner_id)
                              .order_by(table.c.created_at)).scalars().all()
    stored = set(connection.execute(select(images.c.item_id).where(images.c.owner_id == owner_id,
                                                                   images.c.suffix == '.png')).scalars())
    return [dict(row) for row in rows], stored


def heartbeat(connection: Connection, instance: str) -> None:
    connection.execute(update(table).where(table.c.instance == instance, table.c.status == 'running')
                       .values(heartbeat_at=time.time()))


def interrupt(connection: Connection, *, message: str, origin: str | None, instance: str | None = None,
              stale_before: float | None = None, exclude: str | None = None) -> list[str]:
    """Mark running jobs interrupted: those of `instance` (a restarted instance's own), or those whose heartbeat is
    older than `stale_before` (an instance that died), never `exclude`'s. Frees their leases; returns their ids."""
    query = select(table.c.id, table.c.data).where(table.c.status == 'running')
    if instance is not None:
        query = query.where(table.c.instance == instance)
    if stale_before is not None:
        query = query.where(table.c.heartbeat_at < stale_before)
    if exclude is not None:
        query = query.where(table.c.instance != exclude)
    now = time.time()
    interrupted = []
    for job_id, data in connection.execute(query).all():
        data = dict(data)
        # A cover still waiting in line lost its place, which is not the same as a half-painted one.
        words = LINE_INTERRUPTED_MESSAGE if data.get('queued') else message
        data = {**data, 'status': 'interrupted', 'finished_at': now, 'error_message': words}
        # Conditional: the owner of the job may have written it meanwhile (then it was not dead after all).
        condition = [table.c.id == job_id, table.c.status == 'running']
        if stale_before is not None:
            condition.append(table.c.heartbeat_at < stale_before)
        if connection.execute(update(table).where(*condition).values(status='interrupted', data=data)).rowcount:
            interrupted.append(job_id)
            outbox.publish(connection, TOPIC, data['owner_id'], origin=origin)
    release_leases(connection, interrupted, origin)
    budgets.refund(connection, interrupted)  # no cover came of them: they do not count against a budget
    return interrupted


def request_cancel(connection: Connection, job_id: str, origin: str | None) -> None:
    outbox.publish(connection, CANCEL_TOPIC, job_id, origin=origin)


def purge(connection: Connection, before: float) -> int:
    """Drop finished jobs created before `before`, with their images."""
    old = connection.execute(select(table.c.id, table.c.owner_id).where(
        table.c.created_at < before, table.c.status != 'running')).all()
    for job_id, owner_id in old:
        connection.execute(delete(images).where(images.c.owner_id == owner_id, images.c.item_id == job_id))
    if old:
        connection.execute(delete(table).where(table.c.id.in_([job_id for job_id, _ in old])))
    return len(old)
