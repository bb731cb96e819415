"""The request log: every signed request to the platform, kept in the app's database for the Requests page.

`record` is a PlatformClient observer and runs on the event loop inside the call, so it does no work there: it
puts the exchange on a bounded queue and returns. One writer thread takes what has queued up (up to BATCH at a
time, waiting at most BATCH_SECONDS after the first), turns each into a row (masking the key, eliding data URLs,
cutting long bodies: CPU work on multi-megabyte cover answers that must stay off the loop) and inserts the batch in
one transaction. When the queue is full, or the database cannot be used, entries are dropped and counted
(studio_request_log_dropped_total): a call never waits for its own log entry.

Retention: rows older than `days` and all but the newest `rows` are deleted by the writer, at start and then every
PRUNE_SECONDS. `rows=0` turns the log off. Reading (search, detail, error groups) is in request_queries.py.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from services.core import metrics
from services.core.db import Database, DatabaseUnavailable
from services.core.db.schema import request_log
from services.core.loop import call_on_app_loop
from services.core.secret import scrub
from services.core.settings import Settings
from services.platform import request_queries as queries
from services.platform.capture import capture
from services.platform.client import Exchange, PlatformClient
from services.platform.errors import PlatformError
from services.platform.observe import OBSERVERS, outcome_of, request_id_of, trace_id_of
from services.platform.request_queries import ErrorGroup, RequestEntry, RequestQuery

log = logging.getLogger(__name__)

BATCH = 200
BATCH_SECONDS = 0.2
MAX_PENDING = 5000  # exchanges waiting to be written; each may hold a cover answer of a few MB until it is
PRUNE_SECONDS = 300.0
DAY = 86400.0
Listener = Callable[[frozenset[str]], None]  # told the owner ids that have new entries
_STOP = object()


@dataclass(frozen=True)
class LastAnswer:
    """How the platform last answered this process (for /readyz): kept even with the log turned off."""

    at: float  # epoch seconds, when the request was sent
    endpoint: str
    outcome: str  # 'ok', 'business' (it answered, and said no), 'auth', 'protocol', 'timeout', 'unreachable', ...
    http_status: int | None  # None: no answer came

    def summary(self, now: float) -> dict[str, Any]:
        return {'outcome': self.outcome, 'endpoint': self.endpoint, 'httpStatus': self.http_status,
                'secondsAgo': round(max(0.0, now - self.at), 1)}


class RequestLog:
    def __init__(self, db: Database, *, days: float = 7.0, rows: int = 50_000) -> None:
        self.db = db
        self.days = days
        self.rows = rows
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=MAX_PENDING)
        self._idle = threading.Condition()
        self._pending = 0  # queued or being written; flush() waits for 0
        self._listeners: list[Listener] = []
        self._last_prune = 0.0
        self.last_answer: LastAnswer | None = None  # None until the first request of this process
        self._thread: threading.Thread | None = None
        if rows > 0:
            self._thread = threading.Thread(target=self._write_forever, name='request-log-writer', daemon=True)
            self._thread.start()

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> RequestLog:
        return cls(db, days=settings.request_log_days, rows=settings.request_log_rows)

    @property
    def enabled(self) -> bool:
        return self._thread is not None

    def attach(self, platform: PlatformClient) -> RequestLog:
        """Observe every request `platform` makes: this log, the metrics and the failure log lines."""
        platform.observers.extend((self.record, *OBSERVERS))
        return self

    # --- recording: on the event loop, so constant time --------------------------------------------------------

    def record(self, exchange: Exchange) -> None:
        outcome = outcome_of(exchange.error)
        if outcome != 'cancelled':  # the studio giving up says nothing about the platform
            status = exchange.response.status_code if exchange.response is not None else None
            self.last_answer = LastAnswer(exchange.started_at, exchange.path, outcome, status)
        if self._thread is None:
            return
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait(exchange)
        except queue.Full:
            self._done(1)
            metrics.REQUEST_LOG_DROPPED.inc()
            return
        metrics.REQUEST_LOG_PENDING.inc()

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until everything recorded so far is written (tests, shutdown); False if that took too long."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0 or not self._idle.wait(left):
                    return False
        return True

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(owner_ids)` on the app's loop after each batch is written; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def close(self) -> None:
        """Write what is queued, then stop the writer (before the database closes)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self.flush(timeout=5.0)
        self._queue.put(_STOP)
        thread.join(timeout=5.0)

    # --- reading, on the database's threads (request_queries.py decides who sees what) ------------------------

    async def search(self, query: RequestQuery, *, limit: int = 50, offset: int = 0) -> tuple[int, list[RequestEntry]]:
        """How many match, and one page of them, newest first."""
        def both(connection: Connection) -> tuple[int, list[RequestEntry]]:
            return queries.count(connection, query), queries.search(connection, query, limit, offset)

        return await self.db.read(both)

    async def get(self, entry_id: int, owner: str | None) -> RequestEntry | None:
        return await self.db.read(queries.get, entry_id, owner)

    async def by_trace(self, trace_id: str, owner: str | None) -> int | None:
        return await self.db.read(queries.by_trace, trace_id, owner)

    async def attempts(self, call_id: str, owner: str | None) -> list[RequestEntry]:
        return await self.db.read(queries.attempts, call_id, owner)

    async def error_groups(self, owner: str | None, *, hours: float = 24.0) -> list[ErrorGroup]:
        return await self.db.read(queries.error_groups, owner, time.time() - hours * 3600)

    async def endpoints(self, owner: str | None) -> list[str]:
        return await self.db.read(queries.endpoints, owner)

    async def latest_id(self, owner: str | None) -> int:
        return await self.db.read(queries.latest_id, owner)

    # --- the writer thread -----------------------------------------------------------------------------------

    def _done(self, count: int) -> None:
        with self._idle:
            self._pending -= count
            if not self._pending:
                self._idle.notify_all()

    def _write_forever(self) -> None:
        self._prune_if_due()
        while True:
            batch: list[Exchange] = []
            item = self._queue.get()
            stop = item is _STOP
            if not stop:
                batch.append(item)
                deadline = time.monotonic() + BATCH_SECONDS
                while len(batch) < BATCH:
                    try:
                        item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
            if batch:
                metrics.REQUEST_LOG_PENDING.dec(len(batch))
                self._write(batch)
            if stop:
                return
            self._prune_if_due()

    def _write(self, batch: list[Exchange]) -> None:
        try:
            rows = [row for row in map(_row_or_none, batch) if row is not None]
            if rows:
                self.db.run_sync(_insert, rows)
        except (DatabaseUnavailable, RuntimeError) as error:  # RuntimeError: the database was closed under us
            metrics.REQUEST_LOG_DROPPED.inc(len(batch))
            log.warning('request log: %d entries not written (%s)', len(batch), error)
            rows = []
        except Exception:
            metrics.REQUEST_LOG_DROPPED.inc(len(batch))
            log.exception('request log: %d entries not written', len(batch))
            rows = []
        finally:
            self._done(len(batch))
        owners = frozenset(row['owner_id'] for row in rows)
        for listener in list(self._listeners) if owners else ():
            call_on_app_loop(_tell, listener, owners)

    def _prune_if_due(self) -> None:
        now = time.time()
        if now - self._last_prune < PRUNE_SECONDS:
            return
        self._last_prune = now
        try:
            removed = self.db.run_sync(prune, now - self.days * DAY, self.rows)
        except (DatabaseUnavailable, RuntimeError) as error:
            log.warning('request log: pruning failed (%s)', error)
            return
        if removed:
            log.info('request log: %d old entries removed', removed)


def _tell(listener: Listener, owners: frozenset[str]) -> None:
    try:
        listener(owners)
    except Exception:
        log.exception('request-log listener failed')


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(request_log), rows)


def prune(connection: Connection, older_than: float, keep_rows: int) -> int:
    """Delete entries made before `older_than` (epoch seconds) and all but the newest `keep_rows`."""
    removed = int(connection.execute(delete(request_log).where(request_log.c.at < older_than)).rowcount or 0)
    boundary = connection.execute(select(request_log.c.id).order_by(request_log.c.id.desc())
                                  .offset(keep_rows).limit(1)).scalar()
    if boundary is not None:
        removed += int(connection.execute(delete(request_log).where(request_log.c.id <= boundary)).rowcount or 0)
    return removed


def _row_or_none(exchange: Exchange) -> dict[str, Any] | None:
    try:
        return row_for(exchange)
    except Exception:  # one odd answer must not lose the rest of the batch
        log.exception('request log: could not record a request to %s', exchange.path)
        metrics.REQUEST_LOG_DROPPED.inc()
        return None


def row_for(exchange: Exchange) -> dict[str, Any]:
    """The table row for one exchange: nothing in it is the key, the secret or image data."""
    request, response, error = exchange.request, exchange.response, exchange.error
    headers = _as_sent(request.headers) if request is not None else []
    authorization = next((v for k, v in headers if k.lower() == 'authorization'), '')
    api_key = authorization.partition(' ')[2].strip()
    response_type = response.headers.get('content-type', '') if response is not None else ''
    response_content = exchange.streamed if exchange.streamed is not None else _content(response)
    detail = capture(request.method if request is not None else 'POST',
                     str(request.url) if request is not None else exchange.path, headers,
                     request.content if request is not None else b'', exchange.signed_string, api_key=api_key,
                     response_headers=_as_sent(response.headers) if response is not None else [],
                     response_content=response_content, response_type=response_type)
    # The kept text is the answer with its data URLs elided, still JSON and a fraction of a cover's megabytes.
    kept = detail.response_body
    code, message, envelope_trace = _envelope(response_content if kept.cut else kept.text.encode())
    if error is None and exchange.streamed is not None:
        message = message or 'Reply streamed'
    elif error is not None and not isinstance(error, PlatformError):
        message = message or 'The studio stopped waiting for this answer (the work was cancelled).'
    elif isinstance(error, PlatformError):
        code = code if code is not None else error.code
        message = message or error.user_message
    return {
        'at': exchange.started_at,
        'owner_id': exchange.owner,
        'user_id': exchange.user_id,
        'method': detail.method,
        'endpoint': exchange.path,
        'outcome': outcome_of(error),
        'http_status': response.status_code if response is not None else None,
        'code': code,
        'message': scrub(message)[:2000] if message else None,
        'duration_ms': round(exchange.duration * 1000, 3),
        'request_bytes': len(request.content) if request is not None else 0,
        'response_bytes': len(response_content),
        'request_id': request_id_of(exchange),
        'trace_id': (trace_id_of(exchange) or envelope_trace or None),
        'call_id': exchange.call_id,
        'attempt': exchange.attempt,
        'clock_offset': exchange.clock_offset,
        'resigned': exchange.resigned,
        'detail': detail.to_json(),
    }


def _content(response: httpx.Response | None) -> bytes:
    if response is None:
        return b''
    try:
        return response.content
    except httpx.ResponseNotRead:  # a streamed answer nobody read whole
        return b''


def _as_sent(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header names in the case they went over the wire (httpx's items() lower-cases them)."""
    return [(name.decode('latin-1'), value.decode('latin-1')) for name, value in headers.raw]


def _envelope(content: bytes) -> tuple[int | None, str | None, str | None]:
    """The envelope's code, message and traceId, when the answer is one."""
    if not content or content[:1] not in (b'{', b' ', b'\n', b'\r', b'\t'):
        return None, None, None
    try:
        envelope = json.loads(content)
    except ValueError:
        return None, None, None
    if not isinstance(envelope, dict):
        return None, None, None
    code, message, trace = envelope.get('code'), envelope.get('message'), envelope.get('traceId')
    return (code if isinstance(code, int) and not isinstance(code, bool) else None,
            message if isinstance(message, str) else None,
            trace[:200] if isinstance(trace, str) else None)
