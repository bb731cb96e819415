"""The storage layer: one database (SQLite by default, PostgreSQL by STUDIO_DATABASE_URL) for everything kept."""

from __future__ import annotations

from services.core.db.url import DatabaseUrlError, database_url, safe_url

__all__ = ['DatabaseUrlError', 'database_url', 'safe_url']
