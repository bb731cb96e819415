"""The audit log: who signed in, generated a cover, created which agent, when, with the platform's traceId.

The database's `audit` table, shared by every instance. `record` is called from wherever something happens, the
event loop included, so it never waits for the database: the entry (with the time it happened) is queued on the
process's WriteBehind and lands in order, even after a short database outage. Reads are for the admin page and
run on worker threads; they wait for this process's queued entries first, so a page sees what it just did.
"""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, true
from sqlalchemy.engine import Connection

from services.core.db import Database
from services.core.db.schema import audit as table
from services.core.db.writer import WriteBehind
from services.core.secret import scrub

log = logging.getLogger(__name__)

# The sign-in events; the studio records its own ('cover.generated', 'agent.created', ...).
SIGN_IN = 'auth.sign_in'
SIGN_IN_FAILED = 'auth.sign_in_failed'
SIGN_OUT = 'auth.sign_out'
SESSION_ENDED = 'auth.session_ended'  # an administrator signed someone out
EXPORTED = 'audit.exported'
CSV_COLUMNS = ('id', 'time_utc', 'event', 'actor', 'detail', 'trace_id')
LEGACY_FILE = 'audit.sqlite3'  # where the log was kept before the database; imported once
FLUSH_SECONDS = 5.0  # how long a read waits for this process's queued entries (longer while the database is away)


@dataclass(frozen=True)
class AuditQuery:
    """A filter for the admin page. Empty fields match everything; `text` searches actor, detail and traceId."""

    actor: str = ''
    event: str = ''
    text: str = ''
    since: float | None = None
    until: float | None = None

    def where(self) -> ColumnElement[bool]:
        # ilike: case-insensitive on both databases (SQLite's LIKE is for ASCII already, PostgreSQL's is not).
        clauses: list[ColumnElement[bool]] = [true()]
        if self.actor:
            clauses.append(table.c.actor.ilike(f'%{_like(self.actor)}%', escape='\\'))
        if self.event:
            clauses.append(table.c.event == self.event)
        if self.text:
            pattern = f'%{_like(self.text)}%'
            clauses.append(or_(table.c.detail.ilike(pattern, escape='\\'), table.c.actor.ilike(pattern, escape='\\'),
                               func.coalesce(table.c.trace_id, '').ilike(pattern, escape='\\')))
        if self.since is not None:
            clauses.append(table.c.at >= self.since)
        if self.until is not None:
            clauses.append(table.c.at < self.until)
        return and_(*clauses)


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
    def __init__(self, db: Database, writer: WriteBehind) -> None:
        self.db = db
        self._writer = writer

    def record(self, event: str, *, actor: str, detail: str = '', trace_id: str | None = None) -> None:
        """Queue an entry; never blocks (see the module's docstring)."""
        row = {'at': time.time(), 'event': event, 'actor': actor, 'detail': scrub(detail), 'trace_id': trace_id}
        self._writer.submit(_insert, row)

    def _read(self, fn: Any, *args: Any) -> Any:
        # Blocking (worker threads; tests). This process's own queued entries first, so a reader sees them.
        self._writer.flush(FLUSH_SECONDS)
        return self.db.read_sync(fn, *args)

    def entries(self, *, limit: int = 500, offset: int = 0, actor: str | None = None,
                event: str | None = None) -> list[AuditEntry]:
        condition: ColumnElement[bool] = true()
        if actor:
            condition = and_(condition, table.c.actor == actor)
        if event:
            condition = and_(condition, table.c.event == event)
        return self._read(_select, condition, limit, offset)

    def search(self, query: AuditQuery, *, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        return self._read(_select, query.where(), limit, offset)

    def count(self, query: AuditQuery | None = None) -> int:
        condition = (query or AuditQuery()).where()
        return int(self._read(lambda c: c.execute(select(func.count()).select_from(table).where(condition))
                              .scalar_one()))

    def events(self) -> list[str]:
        return list(self._read(lambda c: c.execute(select(table.c.event).distinct().order_by(table.c.event))
                               .scalars().all()))

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

    def import_legacy(self, data_dir: Path) -> int:
        """Copy the entries of a data directory's audit.sqlite3 (kept there before the database) into the table,
        oldest first, once: the file is renamed afterwards so it is never read again. Blocking (start-up)."""
        path = Path(data_dir) / LEGACY_FILE
        if not path.is_file():
            return 0
        source = sqlite3.connect(path)
        try:
            rows = [dict(zip(('at', 'event', 'actor', 'detail', 'trace_id'), row, strict=True)) for row in
                    source.execute('SELECT at, event, actor, detail, trace_id FROM audit ORDER BY id')]
        except sqlite3.Error:
            log.warning('%s is not an audit log this version can read; left as it is', path)
            return 0
        finally:
            source.close()

        def copy(connection: Connection) -> None:
            for start in range(0, len(rows), 1000):
                connection.execute(insert(table), rows[start:start + 1000])

        if rows:
            self.db.run_sync(copy)
        for suffix in ('', '-wal', '-shm'):
            part = path.with_name(path.name + suffix)
            if part.exists():
                part.replace(part.with_name(part.name + '.imported'))
        log.info('imported %d audit entries from %s into the database', len(rows), path)
        return len(rows)


def _insert(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(table).values(**row))


def _select(connection: Connection, condition: ColumnElement[bool], limit: int, offset: int) -> list[AuditEntry]:
    rows = connection.execute(select(table.c.id, table.c.at, table.c.event, table.c.actor, table.c.detail,
                                     table.c.trace_id).where(condition).order_by(table.c.id.desc())
                              .limit(limit).offset(offset))
    return [AuditEntry(*row) for row in rows]
