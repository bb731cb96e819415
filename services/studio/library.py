"""The agents library: every custom agent of a key, searchable, with Agent Studio's own record of who made which.

The platform's list has no search and no filters, so the library reads the list pages it needs into a snapshot
per API key (at most MAX_PAGES pages of PAGE_SIZE: bounded), keeps it for SNAPSHOT_SECONDS (cached), and drops it
when asked or after a creation (refreshed). When the key has more agents than the snapshot holds, or a page failed,
the snapshot says so (`complete` False) and every result from it is marked as possibly incomplete.

Who made an agent is not something the platform knows: `AgentRecords` keeps it in the `agent_records` table,
written when the studio creates an agent. Agents made elsewhere have no row and read as 'unknown'.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from services.auth.sessions import Principal
from services.core.db import Database
from services.core.db.schema import agent_records
from services.platform.client import Credentials, PlatformClient
from services.platform.models import AgentListRequest, AgentRecord
from services.studio.drafts import DraftStore
from services.studio.jobs import JobManager

PAGE_SIZE = 100  # the largest page the list accepts
MAX_PAGES = 10  # 1000 agents: a bounded read even for a key with very many
SNAPSHOT_SECONDS = 60.0
Sort = Literal['newest', 'oldest', 'name']
UNKNOWN = 'unknown'  # the maker of an agent made outside Agent Studio
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Maker:
    owner_id: str
    user_id: str
    display_name: str
    derived_from: str | None
    created_at: float


class AgentRecords:
    """Who made which agent, in the database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, agent_id: str, principal: Principal, *, derived_from: str | None = None,
                     now: float | None = None) -> None:
        await self._db.run(_upsert, agent_id, principal.owner_id, principal.user_id, principal.display_name,
                           derived_from, time.time() if now is None else now)

    def record_sync(self, agent_id: str, principal: Principal, *, derived_from: str | None = None,
                    now: float | None = None) -> None:
        self._db.run_sync(_upsert, agent_id, principal.owner_id, principal.user_id, principal.display_name,
                          derived_from, time.time() if now is None else now)

    async def makers(self, agent_ids: Iterable[str]) -> dict[str, Maker]:
        return await self._db.run(makers_of, list(agent_ids))

    def makers_sync(self, agent_ids: Iterable[str]) -> dict[str, Maker]:
        return self._db.read_sync(makers_of, list(agent_ids))


def _upsert(conn: Connection, agent_id: str, owner_id: str, user_id: str, display_name: str,
            derived_from: str | None, created_at: float) -> None:
    # An agent id is made once; a second record of it (a retried hook) replaces the first rather than failing.
    conn.execute(agent_records.delete().where(agent_records.c.agent_id == agent_id))
    conn.execute(agent_records.insert().values(agent_id=agent_id, owner_id=owner_id, user_id=user_id,
                                               display_name=display_name[:200], derived_from=derived_from,
                                               created_at=created_at))


def makers_of(conn: Connection, agent_ids: list[str]) -> dict[str, Maker]:
    found: dict[str, Maker] = {}
    for start in range(0, len(agent_ids), 500):  # stay under every database's bound-parameter limit
        chunk = agent_ids[start:start + 500]
        rows = conn.execute(select(agent_records).where(agent_records.c.agent_id.in_(chunk)))
        for row in rows:
            found[row.agent_id] = Maker(row.owner_id, row.user_id, row.display_name, row.derived_from,
                                        row.created_at)
    return found


@dataclass
class Snapshot:
    records: list[AgentRecord]
    total: int  # what the platform says the key has
    complete: bool  # every agent of the key is in `records`
    fetched_at: float


@dataclass
class Query:
    text: str = ''  # part of the name, any case
    gender: str | None = None
    language: str | None = None
    voice: str | None = None
    maker: str | None = None  # None: everyone; an owner id; or UNKNOWN
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: Sort = 'newest'


@dataclass
class Found:
    agent: AgentRecord
    maker: Maker | None


@dataclass
class Result:
    items: list[Found]
    incomplete: bool  # the snapshot did not hold every agent of the key: something may be missing
    scanned: int
    total: int
    makers: dict[str, str] = field(default_factory=dict)  # owner id -> display name, for the filter's choices
    voices: list[str] = field(default_factory=list)  # every voice on the key, for the filter's choices
    agent_names: dict[str, str] = field(default_factory=dict)  # agentId -> name, for 'Variant of ...'


class Library:
    """Snapshots of every key's agents, shared by everyone signed in with that key."""

    def __init__(self, platform: PlatformClient, records: AgentRecords, *, max_pages: int = MAX_PAGES,
                 page_size: int = PAGE_SIZE, ttl: float = SNAPSHOT_SECONDS) -> None:
        self._platform = platform
        self.records = records
        self._max_pages = max_pages
        self._page_size = page_size
        self._ttl = ttl
        self._snapshots: dict[str, Snapshot] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def invalidate(self, api_key: str | None = None) -> None:
        """Forget a key's snapshot (after a creation, or 'Refresh'), or every snapshot."""
        if api_key is None:
            self._snapshots.clear()
        else:
            self._snapshots.pop(api_key, None)

    async def snapshot(self, creds: Credentials, language: str, *, refresh: bool = False) -> Snapshot:
        key = creds.api_key
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # twenty tabs opening the library read the list once
            known = self._snapshots.get(key)
            if known and not refresh and time.time() - known.fetched_at < self._ttl:
                return known
            fresh = await self._read(creds, language)
            self._snapshots[key] = fresh
            return fresh

    async def _read(self, creds: Credentials, language: str) -> Snapshot:
        records: list[AgentRecord] = []
        seen: set[str] = set()
        total = 0
        complete = True
        for number in range(1, self._max_pages + 1):
            page = await self._platform.list_agents(
                creds, AgentListRequest(pageNumber=number, pageSize=self._page_size, language=language))
            total = max(total, page.total)
            for record in page.records:
                if record.agentId not in seen:  # a creation between two pages shifts the list by one
                    seen.add(record.agentId)
                    records.append(record)
            if len(page.records) < self._page_size or len(records) >= total:
                break
        else:
            complete = False
        complete = complete and len(records) >= total
        return Snapshot(records, total, complete, time.time())

    async def find(self, principal: Principal, query: Query, *, language: str = 'en',
                   refresh: bool = False) -> Result:
        shot = await self.snapshot(principal.credentials, language, refresh=refresh)
        makers = await self.records.makers(r.agentId for r in shot.records)
        return search(shot, makers, query)


def search(shot: Snapshot, makers: dict[str, Maker], query: Query) -> Result:
    """The agents of `shot` that match `query`, in its order. Pure, so tests and the CLI use it as it is."""
    text = query.text.strip().casefold()
    items = []
    for agent in shot.records:
        maker = makers.get(agent.agentId)
        if text and text not in agent.name.casefold():
            continue
        if query.gender and agent.gender != query.gender:
            continue
        if query.language and attribute(agent, 'agentLanguage', 'language') != query.language:
            continue
        if query.voice and attribute(agent, 'voiceId', 'voice') != query.voice:
            continue
        if query.maker == UNKNOWN and maker is not None:
            continue
        if query.maker not in (None, UNKNOWN) and (maker is None or maker.owner_id != query.maker):
            continue
        if query.created_from or query.created_to:
            moment = created_at(agent)
            if moment is None:
                continue
            if query.created_from and moment < query.created_from:
                continue
            if query.created_to and moment > query.created_to:
                continue
        items.append(Found(agent, maker))
    _sort(items, query.sort)
    names = {m.owner_id: m.display_name for m in makers.values()}
    voices = sorted({str(v) for a in shot.records if (v := attribute(a, 'voiceId', 'voice'))})
    return Result(items, not shot.complete, len(shot.records), shot.total, names, voices,
                  {a.agentId: a.name for a in shot.records})


def _sort(items: list[Found], order: Sort) -> None:
    if order == 'name':
        items.sort(key=lambda f: (f.agent.name.casefold(), f.agent.agentId))
        return
    oldest = datetime.min.replace(tzinfo=UTC)
    items.sort(key=lambda f: (created_at(f.agent) or oldest, f.agent.agentId), reverse=order == 'newest')


def attribute(agent: AgentRecord, *names: str) -> Any:
    """The first of these extra fields the record carries (the list's shape is assumed; names vary)."""
    extra = agent.model_extra or {}
    for name in names:
        if extra.get(name) not in (None, ''):
            return extra[name]
    return None


def created_at(agent: AgentRecord) -> datetime | None:
    """The creation time as an aware datetime, from an ISO string or Unix seconds or milliseconds."""
    value = agent.createdAt
    if value is None or value == '':
        return None
    try:
        if isinstance(value, int) or str(value).isdigit():
            number = int(value)
            return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
        moment = datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def default_maker(principal: Principal, makers: dict[str, Maker]) -> str | None:
    """'Made by me' for a person who has made agents, else everyone on the key."""
    return principal.owner_id if any(m.owner_id == principal.owner_id for m in makers.values()) else None


class CreationRecorder:
    """Records who made an agent when the studio's create job for it succeeds, whether or not a tab is still open:
    `watch` subscribes to the person's jobs until that job ends. Which agent the new one is a variant of is the
    draft's `derived_from`, read when the creation starts: the finished job empties the draft for the next
    character, and the draft may change meanwhile in another tab."""

    def __init__(self, jobs: JobManager, library: Library, drafts: DraftStore) -> None:
        self._jobs = jobs
        self._library = library
        self._drafts = drafts
        self._tasks: set[asyncio.Task[None]] = set()

    def watch(self, principal: Principal, job_id: str) -> None:
        # The studio page loaded the draft before it could start a creation, so this is a read from memory.
        source = self._drafts.get(principal.owner_id).derived_from

        def check() -> None:
            job = self._jobs.get(principal.owner_id, job_id)
            if job is None or job.running:
                return
            stop()
            if job.status == 'done' and job.agent_id:
                task = asyncio.get_running_loop().create_task(self._record(principal, job.agent_id, source))
                self._tasks.add(task)  # held, so it is not collected half-way
                task.add_done_callback(self._tasks.discard)

        stop = self._jobs.subscribe(principal.owner_id, check)
        check()

    async def _record(self, principal: Principal, agent_id: str, source: str | None) -> None:
        try:
            await self._library.records.record(agent_id, principal, derived_from=source)
        except Exception:  # the agent exists either way; the library then shows its maker as unknown
            log.exception('could not record who made agent %s', agent_id)
        self._library.invalidate(principal.credentials.api_key)
