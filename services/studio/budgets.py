"""Cover budgets: how many covers one person may generate per hour and per day, counted in the database.

Every generation a person starts is a row in `cover_uses`, written under the limits' advisory lock in the same
transaction that gives it a place (limits.py), so two instances cannot both let the last cover of a budget through,
and a restart forgets nothing. Only covers count: a generation that ends without one (failed, cancelled,
interrupted) has its row deleted again (`refund`). The windows roll (the last 60 minutes, the last 24 hours), so
when a budget is used up the next cover is possible exactly when the oldest counted one leaves its window: that is
the honest "next one at HH:MM".

The budget of a person is an administrator's (`cover_budgets`, the admin page) where there is one, column by
column, else the deployment's default for their kind of sign-in (services/core/budget_settings.py): demo visitors
have their own. 0 is no limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from services.core.budget_settings import Budget, BudgetSettings
from services.core.db import Database
from services.core.db.schema import cover_budgets, cover_uses

HOUR = 3600.0
DAY = 24 * HOUR
KEEP_USES = 8 * DAY  # the admin page shows the last 7 days
RECENT_SAMPLES = 20  # finished covers the line's estimate looks at


@dataclass(frozen=True)
class BudgetStatus:
    """What a person has left, for the note next to Generate."""

    budget: Budget
    used_hour: int
    used_day: int
    next_at: float | None  # when the next cover is possible, if none is now

    @property
    def left_hour(self) -> int | None:
        return max(0, self.budget.per_hour - self.used_hour) if self.budget.per_hour else None

    @property
    def left_day(self) -> int | None:
        return max(0, self.budget.per_day - self.used_day) if self.budget.per_day else None

    @property
    def left(self) -> int | None:
        """Covers possible now (the smaller window decides); None: no budget applies."""
        lefts = [value for value in (self.left_hour, self.left_day) if value is not None]
        return min(lefts) if lefts else None


@dataclass(frozen=True)
class Use:
    """One person's use, for the admin page."""

    owner_id: str
    user_id: str
    mode: str
    today: int
    week: int


@dataclass(frozen=True)
class Override:
    owner_id: str
    per_hour: int | None
    per_day: int | None
    updated_at: float
    updated_by: str


def default_for(settings: BudgetSettings, mode: str) -> Budget:
    return settings.demo if mode == 'demo' else settings.people


def budget_of(connection: Connection, settings: BudgetSettings, owner_id: str, mode: str) -> Budget:
    default = default_for(settings, mode)
    row = connection.execute(select(cover_budgets.c.per_hour, cover_budgets.c.per_day)
                             .where(cover_budgets.c.owner_id == owner_id)).first()
    if row is None:
        return default
    return Budget(default.per_hour if row.per_hour is None else row.per_hour,
                  default.per_day if row.per_day is None else row.per_day)


def status_of(connection: Connection, settings: BudgetSettings, owner_id: str, mode: str,
              now: float) -> BudgetStatus:
    budget = budget_of(connection, settings, owner_id, mode)
    if not budget.limited:
        return BudgetStatus(budget, 0, 0, None)
    times = sorted(connection.execute(select(cover_uses.c.at).where(
        cover_uses.c.owner_id == owner_id, cover_uses.c.at > now - DAY)).scalars())
    hour = [at for at in times if at > now - HOUR]
    waits = []
    # The next cover needs room in every limited window: in each full one, the oldest counted cover must leave it.
    if budget.per_hour and len(hour) >= budget.per_hour:
        waits.append(hour[len(hour) - budget.per_hour] + HOUR)
    if budget.per_day and len(times) >= budget.per_day:
        waits.append(times[len(times) - budget.per_day] + DAY)
    return BudgetStatus(budget, len(hour), len(times), max(waits) if waits else None)


def count_use(connection: Connection, job_id: str, owner_id: str, user_id: str, mode: str, now: float) -> None:
    connection.execute(insert(cover_uses).values(job_id=job_id, owner_id=owner_id, user_id=user_id, mode=mode, at=now))


def refund(connection: Connection, job_ids: list[str]) -> None:
    """These generations ended without a cover: they do not count."""
    if job_ids:
        connection.execute(delete(cover_uses).where(cover_uses.c.job_id.in_(job_ids)))


def record_seconds(connection: Connection, job_id: str, seconds: float) -> None:
    connection.execute(update(cover_uses).where(cover_uses.c.job_id == job_id).values(seconds=seconds))


def recent_seconds(connection: Connection, now: float) -> list[float]:
    """How long the last few covers took to paint (of the last day, any instance's)."""
    return [float(value) for value in connection.execute(
        select(cover_uses.c.seconds).where(cover_uses.c.seconds.is_not(None), cover_uses.c.at > now - DAY)
        .order_by(cover_uses.c.at.desc()).limit(RECENT_SAMPLES)).scalars()]


def purge(connection: Connection, before: float) -> int:
    return int(connection.execute(delete(cover_uses).where(cover_uses.c.at < before)).rowcount or 0)


def usage(connection: Connection, today_from: float, week_from: float) -> list[Use]:
    """Covers per person since `today_from` and since `week_from`, most used first."""
    rows = connection.execute(select(cover_uses.c.owner_id, cover_uses.c.user_id, cover_uses.c.mode, cover_uses.c.at)
                              .where(cover_uses.c.at >= week_from)).all()
    who: dict[str, tuple[str, str]] = {}
    today: dict[str, int] = {}
    week: dict[str, int] = {}
    for owner_id, user_id, mode, at in rows:
        who[owner_id] = (user_id, mode)
        week[owner_id] = week.get(owner_id, 0) + 1
        today[owner_id] = today.get(owner_id, 0) + (at >= today_from)
    uses = [Use(owner, *who[owner], today[owner], week[owner]) for owner in who]
    return sorted(uses, key=lambda use: (-use.today, -use.week, use.user_id))


def overrides(connection: Connection) -> dict[str, Override]:
    return {row.owner_id: Override(row.owner_id, row.per_hour, row.per_day, row.updated_at, row.updated_by)
            for row in connection.execute(select(cover_budgets))}


def set_override(connection: Connection, owner_id: str, per_hour: int | None, per_day: int | None, by: str,
                 now: float) -> None:
    """An administrator's budget for one person; both None goes back to the default."""
    connection.execute(delete(cover_budgets).where(cover_budgets.c.owner_id == owner_id))
    if per_hour is not None or per_day is not None:
        connection.execute(insert(cover_budgets).values(owner_id=owner_id, per_hour=per_hour, per_day=per_day,
                                                        updated_at=now, updated_by=by))


class Budgets:
    """The budgets as pages and the admin page read and change them (every call on a database thread)."""

    def __init__(self, db: Database, settings: BudgetSettings) -> None:
        self.db = db
        self.settings = settings

    async def status(self, owner_id: str, mode: str) -> BudgetStatus:
        return await self.db.read(status_of, self.settings, owner_id, mode, time.time())

    async def usage(self, today_from: float, week_from: float) -> list[Use]:
        return await self.db.read(usage, today_from, week_from)

    async def overrides(self) -> dict[str, Override]:
        return await self.db.read(overrides)

    async def set_override(self, owner_id: str, per_hour: int | None, per_day: int | None, *, by: str) -> None:
        await self.db.run(set_override, owner_id, per_hour, per_day, by, time.time())

    async def purge(self) -> int:
        return await self.db.run(purge, time.time() - KEEP_USES)
