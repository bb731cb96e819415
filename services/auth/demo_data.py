"""Deleting what a demo visitor made, once their visit is over (issue 12, item 2).

A demo identity is made afresh at each one-click sign-in and can never be entered again, so when its session ends
(signed out, or idle past STUDIO_DEMO_IDLE_MINUTES) nothing it made is of use to anyone: it is deleted.

- `forget(principal)` runs at sign-out: the visitor's sandbox key is revoked (the sandbox deletes its agents,
  covers, reference images and conversations) and every row the studio keeps for them is deleted.
- `sweep()` runs now and then on any instance (runtime's purge round) and is what makes the promise hold whatever
  happened: a session that expired, an instance that stopped before it could clean up, a cover that landed after
  the deletion. It is driven by the data, not by events: every demo owner with something stored and no live
  session loses it, and every visitor key on the sandbox whose visitor has no live session is revoked.

The audit log keeps its lines (sign-in and sign-out, with the address): the operator's record, which the sign-in
page says.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from sqlalchemy import Table, and_, delete, select, union
from sqlalchemy.engine import Connection

from services.auth.principal import Principal
from services.auth.sessions import TOUCH_EVERY
from services.core.db import Database
from services.core.db import schema as s
from services.core.i18n import _, ngettext

log = logging.getLogger(__name__)

DEMO_OWNER_PREFIX = 'demo-'  # owner_id_for('demo', ...) and the demo user ids both start so
# A key issued this recently is not revoked by the sweep though no session names it yet: its sign-in may still be
# writing the session (it waits up to services.auth.sessions.STORE_WAIT, and the row may stay queued longer).
NEW_KEY_GRACE = 600.0
# Every table holding something of one person, by its owner column. Not the audit log (see above).
OWNED: tuple[Table, ...] = (s.drafts, s.jobs, s.images, s.generation_leases, s.conversations, s.chat_messages,
                            s.chat_pictures, s.agent_records, s.request_log, s.preferences,
                            # The waiting line and the budget's counts (issue 17): a visitor's place and covers made.
                            s.cover_line, s.cover_uses, s.cover_budgets)


class VisitorKeys(Protocol):
    """The sandbox's visitor keys: the embedded sandbox (sandbox/embedded.py) or a standalone one's
    /_sandbox/keys (sandbox/control_client.py)."""

    async def revoke_key(self, api_key: str) -> dict[str, int] | None: ...

    async def issued_keys(self) -> list[tuple[str, str, float]]: ...


class DemoData:
    def __init__(self, db: Database, *, keys: VisitorKeys | None, lifetime: float) -> None:
        self.db = db
        self.keys = keys
        self.lifetime = lifetime  # seconds a demo session may be idle (SessionStore.demo_idle_timeout)

    async def forget(self, principal: Principal) -> dict[str, int]:
        """Delete all of one demo visitor's work now (their session has ended); returns what went, by table."""
        if principal.mode != 'demo':
            raise ValueError('only a demo visitor\'s work is deleted')
        deleted: dict[str, int] = {}
        if self.keys is not None:
            try:
                on_sandbox = await self.keys.revoke_key(principal.credentials.api_key)
            except Exception as error:  # the sweep revokes it later: its visitor has no live session
                log.warning('demo: the sandbox key of %s could not be revoked yet: %s', principal.user_id, error)
            else:
                deleted.update({f'sandbox.{name}': count for name, count in (on_sandbox or {}).items()})
        deleted.update(await self.db.run(delete_owned, principal.owner_id))
        log.info('demo: deleted the work of %s: %s', principal.user_id,
                 ', '.join(f'{name} {count}' for name, count in deleted.items() if count) or 'nothing stored')
        return deleted

    async def sweep(self) -> int:
        """Delete the work of every demo visitor without a live session, and revoke their sandbox keys; returns how
        many visitors lost something. Raises DatabaseUnavailable (the next round tries again)."""
        # The table's last_seen may lag a page's activity by up to TOUCH_EVERY: never judge an active visit idle.
        since = time.time() - self.lifetime - TOUCH_EVERY
        owners = await self.db.read(abandoned_owners, since)
        for owner_id in owners:
            await self.db.run(delete_owned, owner_id)
        revoked = 0
        if self.keys is not None:
            live = await self.db.read(live_demo_users, since)
            try:
                issued = await self.keys.issued_keys()
                for api_key, label, issued_at in issued:
                    if label.startswith(DEMO_OWNER_PREFIX) and label not in live \
                            and issued_at < time.time() - NEW_KEY_GRACE:
                        revoked += await self.keys.revoke_key(api_key) is not None
            except Exception as error:
                log.warning('demo: the sandbox\'s visitor keys could not be swept: %s', error)
        if owners or revoked:
            log.info('demo: deleted the work of %d ended visits, revoked %d sandbox keys', len(owners), revoked)
        return max(len(owners), revoked)


def demo_terms(lifetime: float) -> str:
    """What the sign-in page promises a demo visitor: what is deleted, and when (`forget` at sign-out; `sweep`,
    run every PURGE_SECONDS = 10 minutes, after the lifetime, allowing TOUCH_EVERY for the table to catch up)."""
    return _('Everything you make here (your draft, reference photo, covers, characters, conversations and the log '
             'of your requests) is deleted when you sign out, or within a quarter of an hour once you have been '
             'inactive for {lifetime}. Only the fact that a demo visitor signed in and out, with the address they '
             'came from, stays in the operator\'s audit log.').format(lifetime=duration(lifetime))


def duration(seconds: float) -> str:
    """'2 hours', '90 minutes', '1 hour': a lifetime as a sentence says it."""
    minutes = round(seconds / 60)
    if minutes % 60 == 0:
        return ngettext('{n} hour', '{n} hours', minutes // 60).format(n=minutes // 60)
    return ngettext('{n} minute', '{n} minutes', minutes).format(n=minutes)


def delete_owned(connection: Connection, owner_id: str) -> dict[str, int]:
    """Delete every row of `owner_id` in one transaction; returns how many went, by table."""
    return {table.name: connection.execute(delete(table).where(table.c.owner_id == owner_id)).rowcount
            for table in OWNED}


def abandoned_owners(connection: Connection, live_since: float) -> list[str]:
    """Demo owners that have something stored but no session alive (not ended, and seen since `live_since`)."""
    stored = union(*[select(table.c.owner_id).where(table.c.owner_id.like(DEMO_OWNER_PREFIX + '%')) for table in OWNED])
    alive = select(s.sessions.c.owner_id).where(and_(s.sessions.c.mode == 'demo', s.sessions.c.ended_at.is_(None),
                                                     s.sessions.c.last_seen >= live_since))
    owners = stored.subquery()
    rows = connection.execute(select(owners.c.owner_id).where(owners.c.owner_id.not_in(alive)))
    return [row[0] for row in rows]


def live_demo_users(connection: Connection, live_since: float) -> set[str]:
    """The user ids of demo sessions still alive (their sandbox keys are labelled with them)."""
    rows = connection.execute(select(s.sessions.c.user_id).where(
        s.sessions.c.mode == 'demo', s.sessions.c.ended_at.is_(None), s.sessions.c.last_seen >= live_since))
    return {row[0] for row in rows}
