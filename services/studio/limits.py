"""Fair use of the platform: how many cover generations may run at once, per person and in total, across every
instance sharing the database.

Each running generation holds a lease, a row in `generation_leases` (its id is the job's). Taking one counts the
leases and inserts a row in one transaction under the limits' advisory lock, so two instances deciding at the same
moment cannot both take the last place. A lease expires unless its instance renews it (every job heartbeat), so an
instance that dies does not keep people's places; the instance that marks its jobs interrupted also drops their
leases at once.

Nothing is queued silently: a request over a limit is refused at once with a message that says when to try again,
estimated from the running generations' ages and the platform's documented 30-300 s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from services.core.db import Database, advisory_lock
from services.core.db.schema import generation_leases as table
from services.core.db.writer import WriteBehind
from services.core.errors import UserFacingError
from services.core.i18n import _, ngettext

TYPICAL_SECONDS = (30, 300)
LOCK = 'generation-limits'
LEASE_SECONDS = 90.0  # a lease lasts this long past its last renewal (renewed every few seconds while it runs)


class LimitExceeded(UserFacingError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Lease:
    id: str
    owner_id: str
    started: float
    _limits: GenerationLimits = field(repr=False)
    _released: bool = False

    def release(self) -> None:
        """Give the place back (queued: callable from anywhere, never blocks; twice is harmless)."""
        if not self._released:
            self._released = True
            self._limits._release(self.id)


class GenerationLimits:
    def __init__(self, db: Database, writer: WriteBehind, per_user: int, total: int, *, instance: str,
                 lease_seconds: float = LEASE_SECONDS) -> None:
        self.db = db
        self._writer = writer
        self.per_user = per_user
        self.total = total
        self.instance = instance
        self.lease_seconds = lease_seconds

    async def acquire(self, owner_id: str, lease_id: str) -> Lease:
        """Take a place for one generation, or raise LimitExceeded saying when to try again."""
        try:
            started = await self.db.run(_take, owner_id, lease_id, self.instance, self.per_user, self.total,
                                        self.lease_seconds)
        except _Full as full:
            raise full.refusal() from None
        return Lease(id=lease_id, owner_id=owner_id, started=started, _limits=self)

    async def running(self, owner_id: str | None = None) -> int:
        """Generations holding a place now (every instance's), for one person or for everyone."""
        return await self.db.read(_count, owner_id, time.time())

    async def renew(self) -> None:
        """Extend this instance's leases (the job heartbeat calls this)."""
        await self.db.run(_renew, self.instance, time.time() + self.lease_seconds)

    def _release(self, lease_id: str) -> None:
        self._writer.submit(release_leases, [lease_id])


def release_leases(connection: Connection, lease_ids: list[str]) -> None:
    """Drop these leases (also used, in its own transaction, by whoever marks a dead instance's jobs interrupted)."""
    if lease_ids:
        connection.execute(delete(table).where(table.c.id.in_(lease_ids)))


def _take(connection: Connection, owner_id: str, lease_id: str, instance: str, per_user: int, total: int,
          lease_seconds: float) -> float:
    advisory_lock(connection, LOCK)  # count, then insert: no other instance in between
    now = time.time()
    connection.execute(delete(table).where(table.c.expires_at < now))  # places of instances that died
    everyone = [(row.owner_id, row.started_at) for row in connection.execute(
        select(table.c.owner_id, table.c.started_at))]
    mine = [started for owner, started in everyone if owner == owner_id]
    if len(mine) >= per_user:
        wait = _estimate_wait(mine, now)
        raise _Full('mine', len(mine), per_user, wait)
    if len(everyone) >= total:
        wait = _estimate_wait([started for _, started in everyone], now)
        raise _Full('everyone', len(everyone), total, wait)
    connection.execute(insert(table).values(id=lease_id, owner_id=owner_id, kind='cover', instance=instance,
                                            started_at=now, expires_at=now + lease_seconds))
    return now


def _count(connection: Connection, owner_id: str | None, now: float) -> int:
    query = select(func.count()).select_from(table).where(table.c.expires_at >= now)
    if owner_id is not None:
        query = query.where(table.c.owner_id == owner_id)
    return int(connection.execute(query).scalar_one())


def _renew(connection: Connection, instance: str, expires_at: float) -> None:
    connection.execute(update(table).where(table.c.instance == instance).values(expires_at=expires_at))


def _estimate_wait(started: list[float], now: float) -> float:
    """Seconds until the oldest running generation should be done at the latest."""
    return max(5.0, TYPICAL_SECONDS[1] - (now - min(started)))


class _Full(Exception):
    """The limit was reached. Raised in the database's thread, where nobody's language is known; `refusal()` words
    it for the person asking, back in their page's task."""

    def __init__(self, whose: str, count: int, limit: int, wait: float) -> None:
        super().__init__(whose)
        self.whose, self.count, self.limit, self.wait = whose, count, limit, wait

    def refusal(self) -> LimitExceeded:
        if self.whose == 'mine':
            return LimitExceeded(ngettext(
                'You already have {count} cover generation running (the limit is {limit} per person). Try again '
                'when one finishes, {when}.',
                'You already have {count} cover generations running (the limit is {limit} per person). Try again '
                'when one finishes, {when}.', self.count).format(count=self.count, limit=self.limit,
                                                                  when=_when(self.wait)), self.wait)
        return LimitExceeded(_('The studio is generating {count} covers for everyone right now, its limit. Try '
                               'again {when}.').format(count=self.count, when=_when(self.wait)), self.wait)


def _when(seconds: float) -> str:
    if seconds < 90:
        return ngettext('in about {count} second', 'in about {count} seconds', round(seconds)) \
            .format(count=round(seconds))
    return ngettext('in about {count} minute at the latest', 'in about {count} minutes at the latest',
                    round(seconds / 60)).format(count=round(seconds / 60))
