"""ChatService and the picture jobs without a page: storage per owner, the orphan grace, limits, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.auth.sessions import Principal
from services.core.db import Database, database_url
from services.platform.client import Credentials, PlatformClient
from services.studio.chat import MAX_TEXT, ChatEvent, ChatRefused, ChatService
from services.studio.chat_agents import AgentDirectory
from services.studio.chat_pictures import ChatPictureJobs
from services.studio.chat_store import ChatStore
from tests.support.chat_support import eventually, make_agent
from tests.support.sandbox_server import RunningSandbox


def person(sandbox: RunningSandbox, name: str) -> Principal:
    creds = Credentials(sandbox.credentials.api_key, sandbox.credentials.api_secret, name)
    return Principal(owner_id=f'account-{name}', user_id=name, display_name=name, mode='account', credentials=creds)


@pytest.fixture
def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(database_url(None, tmp_path))
    db.upgrade()
    yield db
    db.close()


@pytest.fixture
async def service(database: Database, sandbox_client: PlatformClient) -> AsyncIterator[ChatService]:
    chat = ChatService(ChatStore(database), sandbox_client, AgentDirectory(sandbox_client), orphan_grace=0.2)
    yield chat
    await chat.close()


async def test_each_person_has_their_own_conversation(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                                      service: ChatService) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice, bob = person(sandbox, 'alice'), person(sandbox, 'bob')
    first = await service.open(alice, agent.agentId)
    assert await service.open(alice, agent.agentId) == first  # reused, not started again
    assert first.agent.name == 'Mia' and first.agent.opening_line and first.agent.cover_url
    theirs = await service.open(bob, agent.agentId)
    assert theirs.conversation_id != first.conversation_id
    await service.send(alice, first, 'just between us')
    await eventually(lambda: service.streaming() == 0, what='the reply')
    assert [m.text for m in await service.store.messages(theirs)] == []
    assert await service.store.message(bob.owner_id, (await service.store.messages(first))[0].id) is None
    with pytest.raises(ChatRefused, match='not yours'):
        await service.send(bob, first, 'let me in')


async def test_two_tabs_opening_at_once_start_one_conversation(sandbox: RunningSandbox,
                                                               sandbox_client: PlatformClient,
                                                               service: ChatService) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    opened = await asyncio.gather(*(service.open(alice, agent.agentId) for _ in range(4)))
    assert len({c.conversation_id for c in opened}) == 1


async def test_a_reply_outlives_a_reload_but_not_a_closed_page(sandbox: RunningSandbox,
                                                               sandbox_client: PlatformClient,
                                                               service: ChatService) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await service.open(alice, agent.agentId)
    sandbox.controller.chat.pace = (0.05, 0.05)
    pieces: list[str] = []
    tab = service.subscribe(alice.owner_id, agent.agentId,
                            lambda e: pieces.append(e.text) if e.kind == 'piece' else None)
    await service.send(alice, conversation, 'Hi')
    await eventually(lambda: len(pieces) >= 2, what='pieces')
    tab.close()  # a reload: the old page goes, the new one comes within the grace
    reloaded = service.subscribe(alice.owner_id, agent.agentId, lambda e: None)
    await asyncio.sleep(0.4)
    assert service.streaming() == 1
    reloaded.set_watching(False)  # the browser went away for good
    await eventually(lambda: service.streaming() == 0, what='the reply to be stopped')
    last = (await service.store.messages(conversation))[-1]
    assert last.status == 'stopped' and last.text and last.error == 'Stopped when the page was closed.'
    await eventually(lambda: sandbox.controller.chat.open_streams == 0, what='the upstream to close')


async def test_limits_and_checks(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                 service: ChatService) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await service.open(alice, agent.agentId)
    with pytest.raises(ChatRefused, match='Write a message'):
        await service.send(alice, conversation, '   ')
    with pytest.raises(ChatRefused, match=f'at most {MAX_TEXT}'):
        await service.send(alice, conversation, 'x' * (MAX_TEXT + 1))
    sandbox.controller.chat.pace = (0.1, 0.1)
    await service.send(alice, conversation, 'one')
    with pytest.raises(ChatRefused, match='still being written'):
        await service.send(alice, conversation, 'two')
    assert service.stop(alice.owner_id, conversation.id)
    await eventually(lambda: service.streaming() == 0, what='the stop')
    assert (await service.store.messages(conversation))[-1].status == 'stopped'


async def test_a_restart_marks_what_was_in_progress_as_interrupted(
        sandbox: RunningSandbox, sandbox_client: PlatformClient, database: Database) -> None:
    store = ChatStore(database)
    chat = ChatService(store, sandbox_client, AgentDirectory(sandbox_client))
    pictures = ChatPictureJobs(store, sandbox_client, notify=chat.notify)
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await chat.open(alice, agent.agentId)
    sandbox.controller.chat.pace = (0.2, 0.2)
    sandbox.controller.chat.image_latency = (30.0, 30.0)
    events: list[ChatEvent] = []
    chat.subscribe(alice.owner_id, agent.agentId, events.append, watching=False)
    await chat.send(alice, conversation, 'a long answer please')
    await pictures.start(alice, conversation, 'a lighthouse')
    await asyncio.sleep(0.3)
    await chat.close()  # the studio shuts down
    await pictures.close()
    statuses = [(m.role, m.status) for m in await store.messages(conversation)]
    assert statuses == [('user', 'done'), ('agent', 'interrupted'), ('picture', 'interrupted')]
    assert any(e.kind == 'changed' for e in events)
    # A process killed outright leaves "streaming" rows behind: the next start-up interrupts them.
    message = (await store.messages(conversation))[1]
    message.status = 'streaming'
    await store.save(alice.owner_id, message)
    assert store.interrupt_unfinished() == [alice.owner_id]  # whose conversations changed
    assert (await store.message(alice.owner_id, message.id)).status == 'interrupted'  # type: ignore[union-attr]


async def test_a_picture_job_and_its_limit(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                           service: ChatService) -> None:
    pictures = ChatPictureJobs(service.store, sandbox_client, notify=service.notify, max_per_person=1)
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await service.open(alice, agent.agentId)
    sandbox.controller.chat.image_latency = (0.3, 0.3)
    message = await pictures.start(alice, conversation, 'a red kite')
    with pytest.raises(ChatRefused, match='limit is 1'):
        await pictures.start(alice, conversation, 'another')
    await pictures.wait(message.id)
    drawn = await service.store.message(alice.owner_id, message.id)
    assert drawn is not None and drawn.status == 'done' and drawn.trace_id
    full = await service.store.picture(alice.owner_id, message.id, preview=False)
    small = await service.store.picture(alice.owner_id, message.id, preview=True)
    assert full is not None and full[:4] == b'\x89PNG' and small is not None and small[:3] == b'\xff\xd8\xff'
    assert await service.store.picture('account-bob', message.id, preview=False) is None
