"""The cross-instance outbox: an instance records "something under `topic`/`key` changed" in the transaction that
changed it, and every instance reads the rows after the last id it saw and tells its own pages.

Polling an ever-growing id is portable (SQLite and PostgreSQL alike) and survives restarts and dropped connections,
which a LISTEN/NOTIFY channel alone does not (a notification sent while an instance reconnects is lost). Its one
trap: on PostgreSQL ids are handed out at INSERT but become visible at COMMIT, so two concurrent publishers can
commit 8 before 7, and a reader that already moved past 8 would never see 7. `publish` therefore takes the outbox
lock, held until its transaction ends, so ids become visible in order. (On SQLite the one writer at a time gives
the same for free.) Keep publishing transactions short: they queue behind each other.

On PostgreSQL `publish` also sends a NOTIFY on `CHANNEL` (delivered at commit, dropped on rollback, like the row),
so a listening instance reads the outbox at once instead of at its next poll; see notifier.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection

from services.core.db.database import advisory_lock
from services.core.db.schema import changes

LOCK = 'changes-outbox'
CHANNEL = 'studio_changes'


@dataclass(frozen=True)
class Change:
    id: int
    topic: str
    key: str
    at: float
    origin: str | None = None  # the process that published it (ChangeNotifier.origin), None if unknown


def publish(connection: Connection, topic: str, key: str, *, origin: str | None = None) -> int:
    """Record a change in the caller's read-write transaction (it is seen only if that transaction commits).
    `origin` names the publishing process, which has told its own pages already and so skips the row."""
    advisory_lock(connection, LOCK)
    result = connection.execute(insert(changes).values(topic=topic, key=key, at=time.time(), origin=origin))
    inserted = result.inserted_primary_key
    assert inserted is not None  # a single-row INSERT always has one
    if connection.dialect.name == 'postgresql':
        # No payload: listeners read the rows themselves, so a notification is only ever a "look now".
        connection.execute(text('SELECT pg_notify(:channel, :payload)'), {'channel': CHANNEL, 'payload': ''})
    return int(inserted[0])


def changes_after(connection: Connection, after_id: int, *, limit: int = 500) -> list[Change]:
    """The changes with an id above `after_id`, oldest first (call again with the last id while a page is full)."""
    rows = connection.execute(select(changes).where(changes.c.id > after_id).order_by(changes.c.id).limit(limit))
    return [Change(id=row.id, topic=row.topic, key=row.key, at=row.at, origin=row.origin) for row in rows]


def latest_id(connection: Connection) -> int:
    """Where a starting instance begins reading: what happened before it started is in the tables already."""
    return int(connection.execute(select(func.coalesce(func.max(changes.c.id), 0))).scalar_one())


def purge(connection: Connection, older_than: float) -> int:
    """Drop changes recorded before `older_than` (epoch seconds); every instance has read them long since."""
    return int(connection.execute(delete(changes).where(changes.c.at < older_than)).rowcount or 0)
