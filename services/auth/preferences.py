"""A person's own settings, kept with their owner id in the database: for now the interface language.

Keyed by `Principal.owner_id`, so a tool account's choice follows the account to every device and instance, an own
key's follows that key and user id, and a demo visitor's lasts their visit (each visit is a new owner).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Connection, select

from services.core.db import Database, DatabaseUnavailable
from services.core.db.schema import preferences
from services.core.i18n import LANGUAGES

FRESH_FOR = 30.0  # seconds a language read from the database is trusted (another instance may change it)


class Preferences:
    def __init__(self, db: Database, *, fresh_for: float = FRESH_FOR) -> None:
        self._db = db
        self._fresh_for = fresh_for
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, str | None]] = {}  # owner -> (read at, language)

    def language(self, owner_id: str) -> str | None:
        """The person's chosen interface language, or None if they never chose one.

        Synchronous, because it is asked while a page is being worded (gettext has no await): a primary-key read
        at most once per person per FRESH_FOR seconds, remembered in between. If the database cannot answer, the
        page follows the browser instead of failing."""
        now = time.monotonic()
        with self._lock:
            known = self._known.get(owner_id)
        if known is not None and now - known[0] < self._fresh_for:
            return known[1]
        try:
            found = self._db.read_sync(_language_of, owner_id)
        except DatabaseUnavailable:
            return known[1] if known is not None else None
        language = found if found in LANGUAGES else None
        with self._lock:
            if len(self._known) > 10_000:  # demo visitors each bring a new owner id: forget, do not pile up
                self._known.clear()
            self._known[owner_id] = (now, language)
        return language

    async def set_language(self, owner_id: str, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f'not an interface language: {language!r}')
        await self._db.run(_upsert_language, owner_id, language, time.time())
        with self._lock:
            self._known[owner_id] = (time.monotonic(), language)


def _language_of(conn: Connection, owner_id: str) -> str | None:
    return conn.execute(select(preferences.c.language).where(preferences.c.owner_id == owner_id)).scalar()


def _upsert_language(conn: Connection, owner_id: str, language: str, now: float) -> None:
    # Delete then insert: one statement pair that means the same on SQLite and PostgreSQL (no dialect upsert).
    conn.execute(preferences.delete().where(preferences.c.owner_id == owner_id))
    conn.execute(preferences.insert().values(owner_id=owner_id, language=language, updated_at=now))
