"""The audit log: who signed in, generated a cover, created which agent, when, with the platform's traceId.

SQLite under the data directory. Writes are tiny and go through one lock; reads are for the admin page.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.core.secret import scrub
from services.core.storage import open_sqlite

# The sign-in events; the studio records its own ('cover.generated', 'agent.created', ...).
SIGN_IN = 'auth.sign_in'
SIGN_IN_FAILED = 'auth.sign_in_failed'
SIGN_OUT = 'auth.sign_out'
SESSION_ENDED = 'auth.session_ended'  # an administrator signed someone out
EXPORTED = 'audit.exported'
CSV_COLUMNS = ('id', 'time_utc', 'event', 'actor', 'detail', 'trace_id')


@dataclass(frozen=True)
class AuditQuery:
    """A filter for the admin page. Empty fields match everything; `text` searches actor, detail and traceId."""

    actor: str = ''
    event: str = ''
    text: str = ''
    since: float | None = None
    until: float | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = ['1=1']
        args: list[Any] = []
        if self.actor:
            clauses.append("actor LIKE ? ESCAPE '\\'")
            args.append(f'%{_like(self.actor)}%')
        if self.event:
            clauses.append('event = ?')
            args.append(self.event)
        if self.text:
            clauses.append("(detail LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\' OR "
                           "IFNULL(trace_id, '') LIKE ? ESCAPE '\\')")
            args.extend([f'%{_like(self.text)}%'] * 3)
        if self.since is not None:
            clauses.append('at >= ?')
            args.append(self.since)
        if self.until is not None:
            clauses.append('at < ?')
            args.append(self.until)
        return ' AND '.join(clauses), args


def _like(value: str) -> str:
    return value.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


def format_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime('%Y-%m-%d %H:%M:%S')


def _csv_cell(value: object) -> str:
    text = '' if value is None else str(value)
    # Spreadsheet formula injection: a cell starting with = + - @ would be evaluated when the CSV is opened.
    return "'" + text if text[:1] in ('=', '+', '-', '@', '\t', '\r') else text


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
        self._lock = threading.Lock()
        self._db = open_sqlite(path)
        self._db.execute('CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at REAL NOT NULL, '
                         'event TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL, trace_id TEXT)')

    def record(self, event: str, *, actor: str, detail: str = '', trace_id: str | None = None) -> None:
        with self._lock:
            self._db.execute('INSERT INTO audit (at, event, actor, detail, trace_id) VALUES (?, ?, ?, ?, ?)',
                             (time.time(), event, actor, scrub(detail), trace_id))

    def entries(self, *, limit: int = 500, offset: int = 0, actor: str | None = None,
                event: str | None = None) -> list[AuditEntry]:
        sql = 'SELECT id, at, event, actor, detail, trace_id FROM audit WHERE 1=1'
        args: list[Any] = []
        if actor:
            sql, args = sql + ' AND actor = ?', [*args, actor]
        if event:
            sql, args = sql + ' AND event = ?', [*args, event]
        sql += ' ORDER BY id DESC LIMIT ? OFFSET ?'
        with self._lock:
            rows = self._db.execute(sql, [*args, limit, offset]).fetchall()
        return [AuditEntry(*row) for row in rows]

    def search(self, query: AuditQuery, *, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        where, args = query.where()
        sql = (f'SELECT id, at, event, actor, detail, trace_id FROM audit WHERE {where} '
               'ORDER BY id DESC LIMIT ? OFFSET ?')
        with self._lock:
            rows = self._db.execute(sql, [*args, limit, offset]).fetchall()
        return [AuditEntry(*row) for row in rows]

    def count(self, query: AuditQuery | None = None) -> int:
        where, args = (query or AuditQuery()).where()
        with self._lock:
            return int(self._db.execute(f'SELECT COUNT(*) FROM audit WHERE {where}', args).fetchone()[0])

    def events(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute('SELECT DISTINCT event FROM audit ORDER BY event')]

    def iter_matching(self, query: AuditQuery, *, batch: int = 1000) -> Iterator[AuditEntry]:
        """Every matching entry, newest first, read in batches so the lock is never held for long."""
        offset = 0
        while True:
            rows = self.search(query, limit=batch, offset=offset)
            yield from rows
            if len(rows) < batch:
                return
            offset += batch

    def export_csv(self, query: AuditQuery | None = None) -> bytes:
        """The matching entries as CSV (UTF-8 with BOM so spreadsheets read non-ASCII names correctly)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for entry in self.iter_matching(query or AuditQuery()):
            writer.writerow([_csv_cell(v) for v in (entry.id, format_time(entry.at), entry.event, entry.actor,
                                                   entry.detail, entry.trace_id)])
        return ('\ufeff' + out.getvalue()).encode('utf-8')

    def close(self) -> None:
        with self._lock:
            self._db.close()
