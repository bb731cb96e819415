"""Reading the request log: search with filters, one entry's detail, errors grouped over a time window.

Who may see what is decided here, not in the page: every function takes `owner`, and a query with an owner only
ever reads that person's rows (None, everyone's, is for administrators). Functions take a connection, for
`await db.read(fn, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.engine import Connection, Row

from services.core.db.schema import request_log
from services.platform.capture import RequestDetail
from services.platform.observe import NOT_FAILURES, OUTCOME_NAMES

T = request_log.c
SUMMARY_COLUMNS = [column for column in request_log.c if column.name != 'detail']
STATUS_CHOICES = ('', 'ok', 'error', *(name for name in OUTCOME_NAMES if name != 'ok'))


@dataclass(frozen=True)
class RequestQuery:
    """Empty fields match everything. `status`: '', 'ok', 'error' (any failure), an outcome name, or an HTTP
    status ('502'). `person` (administrators) matches user id or owner id; `text` traceId, X-Request-ID, call id
    or message."""

    owner: str | None = None
    endpoint: str = ''
    status: str = ''
    person: str = ''
    text: str = ''
    since: float | None = None
    until: float | None = None

    def where(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.owner is not None:
            clauses.append(T.owner_id == self.owner)
        if self.endpoint:
            clauses.append(T.endpoint == self.endpoint)
        status = self.status.strip()
        if status == 'error':
            clauses.append(T.outcome.not_in(NOT_FAILURES))
        elif status.isdigit():
            clauses.append(T.http_status == int(status))
        elif status:
            clauses.append(T.outcome == status)
        if self.person:
            clauses.append(or_(T.user_id.icontains(self.person, autoescape=True),
                               T.owner_id.icontains(self.person, autoescape=True)))
        text = self.text.strip()
        if text:
            clauses.append(or_(T.trace_id.icontains(text, autoescape=True),
                               T.request_id.icontains(text, autoescape=True), T.call_id == text,
                               T.message.icontains(text, autoescape=True)))
        if self.since is not None:
            clauses.append(T.at >= self.since)
        if self.until is not None:
            clauses.append(T.at < self.until)
        return and_(true(), *clauses)


@dataclass(frozen=True)
class RequestEntry:
    id: int
    at: float
    owner_id: str
    user_id: str
    method: str
    endpoint: str
    outcome: str
    http_status: int | None
    code: int | None
    message: str | None
    duration_ms: float
    request_bytes: int
    response_bytes: int
    request_id: str | None
    trace_id: str | None
    call_id: str
    attempt: int
    clock_offset: float
    resigned: bool
    detail: RequestDetail | None = None  # only when one entry is read

    @property
    def failed(self) -> bool:
        return self.outcome not in NOT_FAILURES

    @classmethod
    def from_row(cls, row: Row[Any], *, with_detail: bool = False) -> RequestEntry:
        values = {column.name: getattr(row, column.name) for column in SUMMARY_COLUMNS}
        values['resigned'] = bool(values['resigned'])
        detail = RequestDetail.from_json(row.detail) if with_detail else None
        return cls(**values, detail=detail)


@dataclass(frozen=True)
class ErrorGroup:
    endpoint: str
    message: str
    count: int
    last_at: float
    last_id: int


def search(connection: Connection, query: RequestQuery, limit: int = 50, offset: int = 0) -> list[RequestEntry]:
    """Newest first, without the detail."""
    rows = connection.execute(select(*SUMMARY_COLUMNS).where(query.where()).order_by(T.id.desc())
                              .limit(limit).offset(offset))
    return [RequestEntry.from_row(row) for row in rows]


def count(connection: Connection, query: RequestQuery) -> int:
    return int(connection.execute(select(func.count()).select_from(request_log).where(query.where())).scalar_one())


def get(connection: Connection, entry_id: int, owner: str | None) -> RequestEntry | None:
    """One entry with its detail; None when there is none, or it is someone else's (the same answer, so an id
    does not tell whether it exists)."""
    where = and_(T.id == entry_id, *([T.owner_id == owner] if owner is not None else []))
    row = connection.execute(select(request_log).where(where)).first()
    return RequestEntry.from_row(row, with_detail=True) if row is not None else None


def by_trace(connection: Connection, trace_id: str, owner: str | None) -> int | None:
    """The newest entry with this traceId that `owner` may see."""
    where = and_(T.trace_id == trace_id, *([T.owner_id == owner] if owner is not None else []))
    return connection.execute(select(func.max(T.id)).where(where)).scalar()


def attempts(connection: Connection, call_id: str, owner: str | None) -> list[RequestEntry]:
    """Every attempt of one call (retries, a re-signing), first first."""
    query = RequestQuery(owner=owner)
    rows = connection.execute(select(*SUMMARY_COLUMNS).where(and_(query.where(), T.call_id == call_id))
                              .order_by(T.id))
    return [RequestEntry.from_row(row) for row in rows]


def error_groups(connection: Connection, owner: str | None, since: float, limit: int = 20) -> list[ErrorGroup]:
    """Failures since `since`, grouped by endpoint and message, the most frequent first."""
    message = func.coalesce(T.message, '')
    where = and_(T.at >= since, T.outcome.not_in(NOT_FAILURES),
                 *([T.owner_id == owner] if owner is not None else []))
    total = func.count().label('total')
    rows = connection.execute(select(T.endpoint, message.label('message'), total, func.max(T.at).label('last_at'),
                                     func.max(T.id).label('last_id'))
                              .where(where).group_by(T.endpoint, message).order_by(total.desc()).limit(limit))
    return [ErrorGroup(row.endpoint, row.message, int(row.total), float(row.last_at), int(row.last_id))
            for row in rows]


def endpoints(connection: Connection, owner: str | None) -> list[str]:
    where = and_(true(), *([T.owner_id == owner] if owner is not None else []))
    return [row[0] for row in connection.execute(select(T.endpoint).where(where).distinct().order_by(T.endpoint))]


def latest_id(connection: Connection, owner: str | None) -> int:
    """The newest id `owner` may see (0 for none): a cheap check whether a page is behind."""
    where = and_(true(), *([T.owner_id == owner] if owner is not None else []))
    return int(connection.execute(select(func.coalesce(func.max(T.id), 0)).where(where)).scalar_one())
