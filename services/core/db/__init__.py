"""The storage layer: one database (SQLite by default, PostgreSQL by STUDIO_DATABASE_URL) for everything kept.

- `Database` (database.py): the engine, `await db.run(fn, ...)` / `db.read(...)` transactions on worker threads,
  `upgrade()` / `current()` for the Alembic migrations under migrations/.
- `DatabaseUnavailable` (errors.py): the database cannot be used just now; `.user_message` says what to do.
- `database_url` (url.py): STUDIO_DATABASE_URL validated into the URL to open.
- `schema` (schema.py): every table; `changes` (changes.py): the cross-instance outbox.
"""

from __future__ import annotations

from services.core.db.database import Database, advisory_lock
from services.core.db.errors import DatabaseUnavailable
from services.core.db.url import DatabaseUrlError, database_url, safe_url

__all__ = ['Database', 'DatabaseUnavailable', 'DatabaseUrlError', 'advisory_lock', 'database_url', 'safe_url']
