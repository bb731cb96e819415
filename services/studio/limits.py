"""Fair use of the platform: how many cover generations may run at once, per person and in total, across every
instance sharing the database; the waiting line when every place is taken; and each person's budget.

Each running generation holds a lease, a row in `generation_leases` (its id is the job's). Taking one counts the
leases and inserts a row in one transaction under the limits' advisory lock, so two instances deciding at the same
moment cannot both take the last place. A lease expires unless its instance renews it (every job heartbeat), so an
instance that dies does not keep people's places; the instance that marks its jobs interrupted also drops their
leases at once.

When the deployment's cap (`total`) is reached, a new generation does not fail: it takes a place in the waiting
line (`cover_line`, ordered by an increasing `seq`), in the same locked transaction. Whoever next holds the lock
(`pump`, run by every instance that has someone waiting, woken when a place frees and every couple of seconds)
turns the head of the line into leases, as many as there are free places, whichever instance the waiting people
asked: the line is one line for the deployment, first come first served. The instance that holds a waiting request
(it has the person's credentials, which are never stored) renews its rows; when it dies they expire within
LINE_SECONDS and the line moves up past them, and its jobs are marked interrupted like its running ones. A place
admitted for an instance that died meanwhile is a lease nobody renews: it expires like any other.

The per-person cap still refuses at once (running and waiting count together), and so does a used-up budget
(budgets.py), each with a message saying when to try again.
"""

from __future__ import annotations

import heapq
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from services.core.budget_settings import BudgetSettings
from services.core.db import Database, advisory_lock
from services.core.db import changes as outbox
from services.core.db.schema import cover_line as line_table
from services.core.db.schema import generation_leases as table
from services.core.db.writer import WriteBehind
from services.core.errors import UserFacingError
from services.core.i18n import _, ngettext
from services.studio import budgets

TYPICAL_SECONDS = (30, 300)
LOCK = 'generation-limits'
LINE_TOPIC = 'cover-line'  # published when places free or the line moves: instances with people waiting look
LEASE_SECONDS = 90.0  # a lease lasts this long past its last renewal (renewed every few seconds while it runs)
LINE_SECONDS = 30.0  # a place in line lasts this long past its last renewal (renewed every pump, about 2 s)


class LimitExceeded(UserFacingError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BudgetUsedUp(LimitExceeded):
    """The person's covers for this hour or day are used; `next_at` is when the next one is possible."""

    def __init__(self, message: str, next_at: float) -> None:
        super().__init__(message, max(0.0, next_at - time.time()))
        self.next_at = next_at


@dataclass(frozen=True)
class Who:
    """Whose generation it is, as the budget counts it."""

    owner_id: str
    user_id: str = ''
    mode: str = 'account'


@dataclass(frozen=True)
class Place:
    """A place in the waiting line, as the person is shown it."""

    position: int  # 1: next to start
    waiting: int  # everyone in the line
    starts_at: float  # when it should start, estimated from recent generation times (epoch seconds)
    typical: float  # the generation time the estimate assumed
    samples: int  # how many recent covers that came from (0: the platform's documented 30-300 s)


@dataclass
class Lease:
    id: str
    owner_id: str
    started: float
    _limits: GenerationLimits = field(repr=False)
    place: Place | None = None  # set when the generation waits in line instead of running
    _released: bool = False

    @property
    def waiting(self) -> bool:
        return self.place is not None

    def release(self) -> None:
        """Give the place back, running or in line (queued: callable from anywhere, never blocks; twice is
        harmless)."""
        if not self._released:
            self._released = True
            self._limits._release(self.id)


@dataclass(frozen=True)
class PumpResult:
    admitted: dict[str, float]  # of the ids asked about: hold a lease now (since when), may start
    places: dict[str, Place]  # of the ids asked about: still waiting, and where
    lost: set[str]  # of the ids asked about: neither (their place expired: the database was away too long)


class GenerationLimits:
    def __init__(self, db: Database, writer: WriteBehind, per_user: int, total: int, *, instance: str,
                 lease_seconds: float = LEASE_SECONDS, budgets: BudgetSettings | None = None,
                 origin: str | None = None) -> None:
        self.db = db
        self._writer = writer
        self.per_user = per_user
        self.total = total
        self.instance = instance
        self.origin = origin
        self.lease_seconds = lease_seconds
        self.budgets = budgets or BudgetSettings()
        self._on_released: list[Callable[[], None]] = []

    async def acquire(self, owner_id: str, lease_id: str, *, who: Who | None = None) -> Lease:
        """Take a place for one generation now, or raise LimitExceeded saying when to try again."""
        return await self._admit(who or Who(owner_id), lease_id, queue=False)

    async def admit(self, who: Who, lease_id: str) -> Lease:
        """Take a place now, or one in the waiting line when the deployment's cap is reached (`lease.waiting`;
        `await` its turn through the line's pump). Raises LimitExceeded for the person's own cap, BudgetUsedUp for
        their budget."""
        return await self._admit(who, lease_id, queue=True)

    async def _admit(self, who: Who, lease_id: str, *, queue: bool) -> Lease:
        try:
            started, place = await self.db.run(_take, who, lease_id, self.instance, self.per_user, self.total,
                                               self.lease_seconds, queue, self.budgets, self.origin)
        except _Full as full:
            raise full.refusal() from None
        return Lease(id=lease_id, owner_id=who.owner_id, started=started, _limits=self, place=place)

    async def pump(self, waiting: list[str]) -> PumpResult:
        """Move the line: admit its head into the free places (whichever instance holds them), renew this instance's
        waiting places, and say of `waiting` (this instance's) which may start and where the others stand."""
        return await self.db.run(_pump, waiting, self.instance, self.total, self.lease_seconds, self.origin)

    async def running(self, owner_id: str | None = None) -> int:
        """Generations holding a place now (every instance's), for one person or for everyone."""
        return await self.db.read(_count, owner_id, time.time())

    async def waiting(self) -> int:
        """Generations waiting in line now (every instance's)."""
        return await self.db.read(_count_waiting, time.time())

    async def renew(self) -> None:
        """Extend this instance's leases and places in line (the job heartbeat calls this)."""
        await self.db.run(_renew, self.instance, time.time())

    async def budget(self, who: Who) -> budgets.BudgetStatus:
        return await self.db.read(budgets.status_of, self.budgets, who.owner_id, who.mode, time.time())

    def on_released(self, callback: Callable[[], None]) -> None:
        """Call `callback()` (on the writer's thread) after a place given back here is free in the database."""
        self._on_released.append(callback)

    def _release(self, lease_id: str) -> None:
        future = self._writer.submit(release_leases, [lease_id], self.origin)
        for callback in self._on_released:
            future.add_done_callback(lambda _, callback=callback: callback())  # type: ignore[misc]


def release_leases(connection: Connection, lease_ids: list[str], origin: str | None = None) -> None:
    """Drop these leases and places in line (also used, in its own transaction, by whoever marks a dead instance's
    jobs interrupted), and tell the instances with people waiting that places may be free."""
    if lease_ids:
        freed = connection.execute(delete(table).where(table.c.id.in_(lease_ids))).rowcount
        left = connection.execute(delete(line_table).where(line_table.c.job_id.in_(lease_ids))).rowcount
        if freed or left:
            outbox.publish(connection, LINE_TOPIC, 'freed', origin=origin)


def _expire(connection: Connection, now: float) -> None:
    connection.execute(delete(table).where(table.c.expires_at < now))  # places of instances that died
    connection.execute(delete(line_table).where(line_table.c.expires_at < now))  # and their people in line


def _take(connection: Connection, who: Who, lease_id: str, instance: str, per_user: int, total: int,
          lease_seconds: float, queue: bool, budget_settings: BudgetSettings,
          origin: str | None) -> tuple[float, Place | None]:
    advisory_lock(connection, LOCK)  # count, then insert: no other instance in between
    now = time.time()
    _expire(connection, now)
    everyone = [(row.owner_id, row.started_at) for row in connection.execute(
        select(table.c.owner_id, table.c.started_at))]
    line = [row.owner_id for row in connection.execute(select(line_table.c.owner_id).order_by(line_table.c.seq))]
    mine = [started for owner, started in everyone if owner == who.owner_id]
    mine_waiting = sum(owner == who.owner_id for owner in line)
    if len(mine) + mine_waiting >= per_user:
        wait = _estimate_wait(mine, now) if mine else float(TYPICAL_SECONDS[1])
        raise _Full('mine', len(mine), per_user, wait, waiting=mine_waiting)
    status = budgets.status_of(connection, budget_settings, who.owner_id, who.mode, now)
    if status.next_at is not None:
        raise _Full('budget', 0, 0, status.next_at - now, budget=status)
    free = total - len(everyone)
    if free > len(line):  # a free place nobody in line is about to take: start now
        connection.execute(insert(table).values(id=lease_id, owner_id=who.owner_id, kind='cover', instance=instance,
                                                started_at=now, expires_at=now + lease_seconds))
        place = None
    elif not queue:
        raise _Full('everyone', len(everyone), total, _estimate_wait([started for _, started in everyone], now))
    else:
        connection.execute(insert(line_table).values(job_id=lease_id, owner_id=who.owner_id, instance=instance,
                                                     enqueued_at=now, expires_at=now + LINE_SECONDS))
        position = len(line) + 1 - max(0, free)  # the first `free` in line are about to be admitted
        place = _place(position, position, [started for _, started in everyone], total,
                       budgets.recent_seconds(connection, now), now)
    budgets.count_use(connection, lease_id, who.owner_id, who.user_id, who.mode, now)
    return now, place


def _pump(connection: Connection, waiting: list[str], instance: str, total: int, lease_seconds: float,
          origin: str | None) -> PumpResult:
    advisory_lock(connection, LOCK)
    now = time.time()
    _expire(connection, now)
    connection.execute(update(line_table).where(line_table.c.instance == instance)
                       .values(expires_at=now + LINE_SECONDS))
    started = [float(at) for at in connection.execute(select(table.c.started_at)).scalars()]
    free = total - len(started)
    line = connection.execute(select(line_table.c.seq, line_table.c.job_id, line_table.c.owner_id,
                                     line_table.c.instance).order_by(line_table.c.seq)).all()
    head, rest = (line[:free], line[free:]) if free > 0 else ([], line)
    for row in head:  # first come, first served, whichever instance holds the request
        connection.execute(insert(table).values(id=row.job_id, owner_id=row.owner_id, kind='cover',
                                                instance=row.instance, started_at=now,
                                                expires_at=now + lease_seconds))
        started.append(now)
    if head:
        connection.execute(delete(line_table).where(line_table.c.seq.in_([row.seq for row in head])))
        if any(row.instance != instance for row in head):  # the instances holding them start them at once
            outbox.publish(connection, LINE_TOPIC, 'admitted', origin=origin)
    asked = set(waiting)
    admitted = {row.id: float(row.started_at) for row in connection.execute(
        select(table.c.id, table.c.started_at).where(table.c.id.in_(asked)))} if asked else {}
    recent = budgets.recent_seconds(connection, now)
    places = {row.job_id: _place(index + 1, len(rest), started, total, recent, now)
              for index, row in enumerate(rest) if row.job_id in asked}
    return PumpResult(admitted, places, asked - set(admitted) - set(places))


def _count(connection: Connection, owner_id: str | None, now: float) -> int:
    query = select(func.count()).select_from(table).where(table.c.expires_at >= now)
    if owner_id is not None:
        query = query.where(table.c.owner_id == owner_id)
    return int(connection.execute(query).scalar_one())


def _count_waiting(connection: Connection, now: float) -> int:
    return int(connection.execute(select(func.count()).select_from(line_table)
                                  .where(line_table.c.expires_at >= now)).scalar_one())


def _renew(connection: Connection, instance: str, now: float) -> None:
    connection.execute(update(table).where(table.c.instance == instance).values(expires_at=now + LEASE_SECONDS))
    connection.execute(update(line_table).where(line_table.c.instance == instance)
                       .values(expires_at=now + LINE_SECONDS))


# --- estimates ------------------------------------------------------------------------------------------------


def typical_seconds(recent: list[float]) -> float:
    """What one generation takes now: the median of the recent ones, else the middle of the documented range."""
    return statistics.median(recent) if recent else sum(TYPICAL_SECONDS) / 2


def estimate_start(position: int, running_ages: list[float], total: int, typical: float) -> float:
    """Seconds until the generation at `position` in line should start: every place frees when its generation is
    done (a running one after about `typical` minus its age), then serves the line one generation at a time."""
    free_at = [max(5.0, typical - age) for age in running_ages] + [0.0] * max(0, total - len(running_ages))
    heapq.heapify(free_at)
    for _ahead in range(position - 1):
        heapq.heapreplace(free_at, free_at[0] + typical)
    return free_at[0]


def _place(position: int, waiting: int, started: list[float], total: int, recent: list[float], now: float) -> Place:
    typical = typical_seconds(recent)
    seconds = estimate_start(position, [now - at for at in started], total, typical)
    return Place(position=position, waiting=waiting, starts_at=now + seconds, typical=typical, samples=len(recent))


def _estimate_wait(started: list[float], now: float) -> float:
    """Seconds until the oldest running generation should be done at the latest."""
    return max(5.0, TYPICAL_SECONDS[1] - (now - min(started)))


class _Full(Exception):
    """A limit was reached. Raised in the database's thread, where nobody's language is known; `refusal()` words
    it for the person asking, back in their page's task."""

    def __init__(self, whose: str, count: int, limit: int, wait: float, *, waiting: int = 0,
                 budget: budgets.BudgetStatus | None = None) -> None:
        super().__init__(whose)
        self.whose, self.count, self.limit, self.wait = whose, count, limit, wait
        self.waiting, self.budget = waiting, budget

    def refusal(self) -> LimitExceeded:
        if self.whose == 'budget' and self.budget is not None:
            now = time.time()
            return BudgetUsedUp(_budget_message(self.budget, now), self.budget.next_at or now)
        if self.whose == 'mine' and self.waiting:
            total = self.count + self.waiting
            return LimitExceeded(
                f'You already have {total} cover generation{"s" if total != 1 else ""} running or waiting '
                f'({self.count} running, {self.waiting} waiting in line; the limit is {self.limit} per person). '
                f'Try again when one finishes, {_when(self.wait)}.', self.wait)
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


def clock_time(at: float) -> str:
    """HH:MM in the server's time zone (the studio's pages show times that way)."""
    return time.strftime('%H:%M', time.localtime(at))


def in_words(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f'{max(1, round(seconds))} seconds'
    if seconds < 90 * 60:
        return f'{round(seconds / 60)} minutes'
    hours, minutes = divmod(round(seconds / 60), 60)
    return f'{hours} h {minutes:02d} min'


def _budget_message(status: budgets.BudgetStatus, now: float) -> str:
    next_at = status.next_at or now
    day = status.left_day == 0
    window = 'the last 24 hours' if day else 'the last hour'
    limit = status.budget.per_day if day else status.budget.per_hour
    return (f'You have used your {limit} cover{"s" if limit != 1 else ""} for {window} (generations that fail '
            f'do not count). The next one is possible at {clock_time(next_at)}, in {in_words(next_at - now)}.')
