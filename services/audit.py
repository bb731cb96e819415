"""The audit log: who signed in, generated a cover, created which agent, when, with the platform's traceId.

SQLite under the data directory. Writes are tiny and go through one lock; reads are for the admin page.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from services.secret import scrub


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    event: str
    actor: str
    detail: str
    trace_id: str | None


class AuditLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute('PRAGMA journal_mode=WAL')
        self._db.execute('CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at REAL NOT NULL, '
                         'event TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL, trace_id TEXT)')

    def record(self, event: str, *, actor: str, detail: str = '', trace_id: str | None = None) -> None:
        with self._lock:
            self._db.execute('INSERT INTO audit (at, event, actor, detail, trace_id) VALUES (?, ?, ?, ?, ?)',
                             (time.time(), event, actor, scrub(detail), trace_id))

    def entries(self, *, limit: int = 500, offset: int = 0, actor: str | None = None,
                event: str | None = None) -> list[AuditEntry]:
        sql, args = 'SELECT id, at, event, actor, detail, trace_id FROM audit WHERE 1=1', []
        if actor:
            sql, args = sql + ' AND actor = ?', [*args, actor]
        if event:
            sql, args = sql + ' AND event = ?', [*args, event]
        sql += ' ORDER BY id DESC LIMIT ? OFFSET ?'
        with self._lock:
            rows = self._db.execute(sql, [*args, limit, offset]).fetchall()
        return [AuditEntry(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
