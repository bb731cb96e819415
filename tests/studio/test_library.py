"""The library over 300 agents made by three people (and some made elsewhere): search, filters, sort, bounds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.auth.sessions import Principal
from services.core.db import Database
from services.core.secret import Secret
from services.platform.client import Credentials
from services.platform.models import AgentListRequest, AgentPage, AgentRecord
from services.studio.drafts import Draft
from services.studio.library import UNKNOWN, AgentRecords, CreationRecorder, Library, Query, default_maker

START = datetime(2026, 1, 1, tzinfo=UTC)
VOICES = ('voice_f_soft', 'voice_m_deep', 'voice_f_bright')


class FakePlatform:
    """The list endpoint only, newest first, pages as the platform gives them."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.calls = 0

    async def list_agents(self, creds: Credentials, request: AgentListRequest | None = None) -> AgentPage:
        assert request is not None
        self.calls += 1
        start = (request.pageNumber - 1) * request.pageSize
        chosen = self.records[start:start + request.pageSize]
        return AgentPage.model_validate({'records': chosen, 'total': len(self.records),
                                         'pageNumber': request.pageNumber, 'pageSize': request.pageSize})


def person(name: str) -> Principal:
    creds = Credentials('key-1', Secret('secret-1'), f'user-{name}')
    return Principal(f'account-{name}', f'user-{name}', name.capitalize(), 'account', creds)


PEOPLE = [person('alice'), person('bob'), person('carol')]


@pytest.fixture
def world(tmp_path: Path) -> tuple[Library, FakePlatform, Database]:
    db = Database(f'sqlite:///{tmp_path}/studio.sqlite3')
    db.upgrade()
    records = AgentRecords(db)
    agents = []
    for i in range(330):
        agent = {'agentId': f'agent-{i:03d}', 'name': f'{["Luna", "Mia", "Kai"][i % 3]} {i}',
                 'gender': 'female' if i % 2 else 'male', 'agentLanguage': ('en', 'zh', 'ja')[i % 3],
                 'voiceId': VOICES[i % 3], 'createdAt': (START + timedelta(hours=i)).isoformat()}
        agents.append(agent)
        if i < 300:  # 30 made elsewhere
            records.record_sync(agent['agentId'], PEOPLE[i % 3], now=float(i))
    agents.reverse()  # the platform lists newest first
    platform = FakePlatform(agents)
    return Library(platform, records, page_size=50, max_pages=10), platform, db  # type: ignore[arg-type]


def test_search_and_filters_over_three_makers(world: tuple[Library, FakePlatform, Database]) -> None:
    library, platform, db = world
    alice = PEOPLE[0]

    async def go() -> None:
        everyone = await library.find(alice, Query())
        assert len(everyone.items) == 330 and not everyone.incomplete
        assert set(everyone.makers.values()) == {'Alice', 'Bob', 'Carol'}
        mine = await library.find(alice, Query(maker=alice.owner_id))
        assert len(mine.items) == 100 and all(f.maker and f.maker.display_name == 'Alice' for f in mine.items)
        unknown = await library.find(alice, Query(maker=UNKNOWN))
        assert [f.agent.agentId for f in unknown.items] == [f'agent-{i}' for i in range(329, 299, -1)]
        found = await library.find(alice, Query(text='luna 29', sort='name'))
        assert [f.agent.name for f in found.items] == ['Luna 291', 'Luna 294', 'Luna 297']
        mixed = await library.find(alice, Query(gender='female', language='en', voice='voice_m_deep'))
        assert mixed.items == []  # English agents all have the soft voice (both follow i % 3)
        mixed = await library.find(alice, Query(gender='female', language='en', voice='voice_f_soft'))
        assert all(int(f.agent.agentId[-3:]) % 6 == 3 for f in mixed.items) and len(mixed.items) == 55
        dated = await library.find(alice, Query(created_from=START + timedelta(hours=10),
                                                created_to=START + timedelta(hours=12), sort='oldest'))
        assert [f.agent.agentId for f in dated.items] == ['agent-010', 'agent-011', 'agent-012']
        assert default_maker(alice, {f.agent.agentId: f.maker for f in everyone.items if f.maker}) == alice.owner_id

    asyncio.run(go())
    assert platform.calls == 7  # one snapshot for every query: cached
    db.close()


def test_bounded_read_says_it_may_be_incomplete(world: tuple[Library, FakePlatform, Database]) -> None:
    library, platform, db = world
    small = Library(platform, library.records, page_size=50, max_pages=2)  # type: ignore[arg-type]

    async def go() -> None:
        result = await small.find(PEOPLE[1], Query(text='kai'))
        assert result.incomplete and result.scanned == 100 and result.total == 330
        platform.records.insert(0, AgentRecord(agentId='agent-new', name='Kai new').model_dump())
        assert (await small.find(PEOPLE[1], Query(text='kai new'))).items == []  # cached
        small.invalidate('key-1')  # what a creation does
        assert [f.agent.agentId for f in (await small.find(PEOPLE[1], Query(text='kai new'))).items] == ['agent-new']

    asyncio.run(go())
    db.close()


class FakeJobs:
    def __init__(self) -> None:
        self.job = type('J', (), {'running': True, 'status': 'running', 'agent_id': None})()
        self.listeners: list[Any] = []

    def get(self, owner_id: str, job_id: str) -> Any:
        return self.job

    def subscribe(self, owner_id: str, callback: Any) -> Any:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback)


class FakeDrafts:
    """The person's draft as the studio page loaded it (in memory)."""

    def __init__(self) -> None:
        self.draft = Draft()

    def get(self, owner_id: str) -> Draft:
        return self.draft


def test_a_finished_create_job_records_its_maker_and_source(world: tuple[Library, FakePlatform, Database]) -> None:
    library, _, db = world
    jobs, drafts = FakeJobs(), FakeDrafts()
    recorder = CreationRecorder(jobs, library, drafts)  # type: ignore[arg-type]

    async def go() -> None:
        drafts.draft.derived_from = 'agent-001'  # 'Make a variant' of agent-001
        recorder.watch(PEOPLE[2], 'job-1')
        assert len(jobs.listeners) == 1
        # What the finished create job does to the draft (empties it for the next character) must not lose it.
        drafts.draft.reset()
        assert drafts.draft.derived_from is None
        jobs.job.running, jobs.job.status, jobs.job.agent_id = False, 'done', 'agent-329'
        jobs.listeners[0]()
        await asyncio.sleep(0.5)
        made = (await library.records.makers(['agent-329']))['agent-329']
        assert made.owner_id == PEOPLE[2].owner_id and made.derived_from == 'agent-001' and jobs.listeners == []

    asyncio.run(go())
    db.close()


def test_a_new_agent_from_a_fresh_draft_derives_from_nothing(world: tuple[Library, FakePlatform, Database]) -> None:
    library, _, db = world
    jobs = FakeJobs()
    recorder = CreationRecorder(jobs, library, FakeDrafts())  # type: ignore[arg-type]

    async def go() -> None:
        recorder.watch(PEOPLE[0], 'job-1')
        jobs.job.running, jobs.job.status, jobs.job.agent_id = False, 'done', 'agent-328'
        jobs.listeners[0]()
        await asyncio.sleep(0.5)
        made = (await library.records.makers(['agent-328']))['agent-328']
        assert made.owner_id == PEOPLE[0].owner_id and made.derived_from is None

    asyncio.run(go())
    db.close()


def test_results_name_every_agent_for_variant_origins(world: tuple[Library, FakePlatform, Database]) -> None:
    library, _, db = world
    result = asyncio.run(library.find(PEOPLE[0], Query(text='luna 0')))
    assert result.agent_names['agent-001'] == 'Mia 1'  # not among the items found, still named
    db.close()
