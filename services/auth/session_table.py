"""The `sessions` table's transactions, run by the sessions store on worker threads (queued on the WriteBehind, or
through Database.read). Plain functions on a Connection; see sessions.py for what the store keeps in memory.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, not_, or_, select, update
from sqlalchemy.engine import Connection, Row

from services.core.db import changes as outbox
from services.core.db.schema import sessions as table

TOPIC = 'sessions'
KEEP_ENDED = 7 * 24 * 3600.0  # an ended session's row says why for this long


def insert_row(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(table).values(**row))


def touch(connection: Connection, key: str, at: float) -> None:
    connection.execute(update(table).where(table.c.sid_hash == key, table.c.ended_at.is_(None),
                                           table.c.last_seen < at).values(last_seen=at))


def end(connection: Connection, key: str, reason: str, at: float, origin: str | None,
         idle_timeout: float | None) -> None:
    """End one session (dropping its sealed credentials); with `idle_timeout`, only if the table also finds it idle.
    Published, so every instance holding it sends its tabs to the sign-in page."""
    condition = and_(table.c.sid_hash == key, table.c.ended_at.is_(None))
    if idle_timeout is not None:
        condition = and_(condition, table.c.last_seen < at - idle_timeout)
    result = connection.execute(update(table).where(condition).values(
        ended_at=at, end_reason=reason[:64], sealed_credentials=None))
    if result.rowcount:
        outbox.publish(connection, TOPIC, key, origin=origin)


def end_owner(connection: Connection, owner_id: str, reason: str, at: float, origin: str | None) -> None:
    keys = connection.execute(select(table.c.sid_hash).where(table.c.owner_id == owner_id,
                                                             table.c.ended_at.is_(None))).scalars().all()
    for key in keys:
        end(connection, key, reason, at, origin, None)


def _active(active_since: float, demo_active_since: float | None) -> ColumnElement[bool]:
    """Seen recently enough to be alive: demo sessions by their own, usually shorter, lifetime."""
    if demo_active_since is None:
        return table.c.last_seen >= active_since
    return or_(and_(table.c.mode != 'demo', table.c.last_seen >= active_since),
               and_(table.c.mode == 'demo', table.c.last_seen >= demo_active_since))


def read(connection: Connection, key: str) -> Row[Any] | None:
    return connection.execute(select(table).where(table.c.sid_hash == key)).first()


def end_reason(connection: Connection, key: str) -> str | None:
    row = connection.execute(select(table.c.ended_at, table.c.end_reason).where(table.c.sid_hash == key)).first()
    return None if row is None or row.ended_at is None else (row.end_reason or 'signed out')


def live(connection: Connection, active_since: float, demo_active_since: float | None = None) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(table.c.sid_hash, table.c.owner_id, table.c.user_id, table.c.display_name, table.c.mode,
               table.c.is_admin, table.c.created_at, table.c.last_seen)
        .where(table.c.ended_at.is_(None), _active(active_since, demo_active_since))
        .order_by(table.c.last_seen.desc()))
    return [dict(row._mapping) for row in rows]


def purge(connection: Connection, now: float, idle_timeout: float, demo_idle_timeout: float | None = None) -> None:
    demo_since = None if demo_idle_timeout is None else now - demo_idle_timeout
    connection.execute(update(table).where(table.c.ended_at.is_(None), not_(_active(now - idle_timeout, demo_since)))
                       .values(ended_at=now, end_reason='expired', sealed_credentials=None))
    connection.execute(delete(table).where(table.c.ended_at < now - KEEP_ENDED))
