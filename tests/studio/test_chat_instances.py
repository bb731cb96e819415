"""Conversations across instances sharing one database: what one writes reaches the pages of another through the
changes outbox, Stop reaches the instance writing, and what a dead instance left unfinished is interrupted by a
survivor. Each "instance" is a ChatService with its own Database, store and change notifier, as runtime.py builds
them; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from runtime import Runtime
from services.auth.sessions import Principal
from services.core.db import Database
from services.core.db.notifier import ChangeNotifier
from services.core.db.schema import chat_messages
from services.platform.client import Credentials, PlatformClient
from services.studio import chat as chat_module
from services.studio import chat_store
from services.studio.chat import BUSY_ELSEWHERE, ChatEvent, ChatRefused, ChatService
from services.studio.chat_agents import AgentDirectory
from services.studio.chat_pictures import ChatPictureJobs
from services.studio.chat_store import ChatStore, Conversation, Message
from tests.support.chat_support import make_agent
from tests.support.sandbox_server import RunningSandbox


@dataclass
class Instance:
    name: str
    db: Database
    chat: ChatService
    pictures: ChatPictureJobs
    notifier: ChangeNotifier

    @property
    def store(self) -> ChatStore:
        return self.chat.store


def person(sandbox: RunningSandbox, name: str, mode: str = 'account') -> Principal:
    creds = Credentials(sandbox.credentials.api_key, sandbox.credentials.api_secret, name)
    return Principal(owner_id=f'{mode}-{name}', user_id=name, display_name=name, mode=mode,  # type: ignore[arg-type]
                     credentials=creds)


@pytest.fixture
async def instances(db_url: str, sandbox_client: PlatformClient) -> AsyncIterator[tuple[Instance, Instance]]:
    made: list[Instance] = []
    for name in ('a', 'b'):
        db = Database(db_url)
        db.upgrade()
        origin = f'{name}/test'
        store = ChatStore(db, instance=name, origin=origin)
        chat = ChatService(store, sandbox_client, AgentDirectory(sandbox_client), orphan_grace=5.0)
        pictures = ChatPictureJobs(store, sandbox_client, notify=chat.notify)
        notifier = ChangeNotifier(db, origin=origin, interval=0.1)
        notifier.subscribe(chat_store.TOPIC, chat.on_changed)  # what runtime.configure subscribes
        notifier.subscribe(chat_store.STOP_TOPIC, chat.on_stop_requested)
        await notifier.start()
        made.append(Instance(name, db, chat, pictures, notifier))
    yield made[0], made[1]
    for instance in made:
        await instance.chat.close()
        await instance.pictures.close()
        await instance.notifier.stop()
        instance.db.close()


async def messages(instance: Instance, conversation: Conversation) -> list[Message]:
    return await instance.store.messages(conversation)


async def until(check: object, *, seconds: float = 10.0, what: str) -> None:
    deadline = time.monotonic() + seconds
    while True:
        result = check() if callable(check) else check
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        await asyncio.sleep(0.05)


async def test_a_reply_written_on_b_reaches_a_page_on_a_as_it_streams(
        sandbox: RunningSandbox, sandbox_client: PlatformClient, instances: tuple[Instance, Instance],
        monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = instances
    monkeypatch.setattr(chat_module, 'CHECKPOINT_SECONDS', 0.2)
    sandbox.controller.chat.pace = (0.1, 0.1)
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await b.chat.open(alice, agent.agentId)
    heard: list[ChatEvent] = []
    a.chat.subscribe(alice.owner_id, agent.agentId, heard.append)  # alice's page, served by instance a

    await b.chat.send(alice, conversation, 'tell me a long story')

    async def partial_seen_on_a() -> bool:
        reply = (await messages(a, conversation))[-1]
        return reply.status == 'streaming' and bool(reply.text)

    await until(partial_seen_on_a, what='a checkpoint of the reply, read on a while b still writes')
    assert heard and {e.kind for e in heard} == {'replaced'}  # a's page was told, and re-reads the conversation
    told = len(heard)
    with pytest.raises(ChatRefused, match=BUSY_ELSEWHERE[:30]):  # one reply at a time, whichever instance
        await a.chat.send(alice, conversation, 'and another thing')

    async def done_on_a() -> bool:
        return (await messages(a, conversation))[-1].status == 'done'

    await until(done_on_a, seconds=30, what='the finished reply on a')
    await until(lambda: len(heard) > told, what='the end told to a')
    assert [m.role for m in await messages(a, conversation)] == ['user', 'agent']


async def test_a_picture_drawn_on_b_shows_on_a(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                              instances: tuple[Instance, Instance]) -> None:
    a, b = instances
    sandbox.controller.chat.image_latency = (0.3, 0.3)
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await b.chat.open(alice, agent.agentId)
    heard: list[ChatEvent] = []
    a.chat.subscribe(alice.owner_id, agent.agentId, heard.append)
    message = await b.pictures.start(alice, conversation, 'a lighthouse at dusk')
    await until(lambda: heard, what='the picture job told to a')
    await b.pictures.wait(message.id)

    async def drawn_on_a() -> bool:
        found = await a.store.message(alice.owner_id, message.id)
        return found is not None and found.status == 'done'

    await until(drawn_on_a, what='the drawn picture on a')
    # Told twice: when it was asked for, and when it was drawn (0.3 s apart, so never in one read of the outbox).
    await until(lambda: len(heard) >= 2, what='the finished picture told to a')
    assert await a.store.picture(alice.owner_id, message.id, preview=False) is not None


async def test_stop_pressed_on_a_stops_the_reply_b_writes(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                                          instances: tuple[Instance, Instance]) -> None:
    a, b = instances
    sandbox.controller.chat.pace = (0.3, 0.3)
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await b.chat.open(alice, agent.agentId)
    await b.chat.send(alice, conversation, 'a long answer please')
    assert a.chat.live(alice.owner_id, conversation.id) is None  # nothing of it runs on a
    assert await a.chat.stop_anywhere(conversation)
    await until(lambda: b.chat.streaming() == 0, what='b to stop the reply')
    assert (await messages(a, conversation))[-1].status == 'stopped'
    assert not await a.chat.stop_anywhere(conversation)  # nothing left to stop


async def test_a_survivor_interrupts_what_a_dead_instance_left_unfinished(
        sandbox: RunningSandbox, sandbox_client: PlatformClient, instances: tuple[Instance, Instance]) -> None:
    a, b = instances
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await b.chat.open(alice, agent.agentId)
    # What b leaves in the table while it writes a reply and draws a picture (rows named after b) ...
    await b.store.add(conversation, 'user', 'done', 'hello')
    await b.store.add(conversation, 'agent', 'streaming', 'half a rep')
    await b.store.add(conversation, 'picture', 'running', 'a red kite')
    heard: list[ChatEvent] = []
    a.chat.subscribe(alice.owner_id, agent.agentId, heard.append)  # alice's page on a
    await b.store.heartbeat()  # ... renewed by b's heartbeat: alive, so a's sweep leaves them alone
    await a.chat.heartbeat()
    assert [m.status for m in await messages(a, conversation)] == ['done', 'streaming', 'running']
    assert ChatStore(a.db, instance='a').interrupt_unfinished() == []  # a restart of a touches only a's own

    # b dies: nothing renews its rows any more. STALE_SECONDS later (the clock moved back here) ...
    await b.notifier.stop()
    stale = time.time() - chat_store.STALE_SECONDS - 1
    await a.db.run(lambda c: c.execute(update(chat_messages).where(chat_messages.c.instance == 'b')
                                       .values(updated_at=stale)))
    heard.clear()
    await a.chat.heartbeat()  # ... one round of a's heartbeat
    found = await messages(a, conversation)
    assert [m.status for m in found] == ['done', 'interrupted', 'interrupted']
    assert found[1].error == chat_store.INTERRUPTED_REPLY and found[2].error == chat_store.INTERRUPTED_PICTURE
    assert found[1].text == 'half a rep'  # what had arrived is kept
    assert heard and heard[-1].kind == 'replaced'  # a's page was told at once
    assert not await a.store.unfinished_reply(conversation)  # alice can write again (and Retry)


async def test_a_restarted_instance_interrupts_its_own_unfinished_rows_at_once(
        sandbox: RunningSandbox, sandbox_client: PlatformClient, instances: tuple[Instance, Instance]) -> None:
    a, b = instances
    agent = await make_agent(sandbox_client, sandbox.credentials)
    alice = person(sandbox, 'alice')
    conversation = await a.chat.open(alice, agent.agentId)
    mine = await a.store.add(conversation, 'agent', 'streaming', 'half a')
    theirs = await b.store.add(conversation, 'picture', 'running', 'a kite')  # b is alive and drawing
    assert ChatStore(a.db, instance='a').interrupt_unfinished() == [alice.owner_id]
    assert (await a.store.message(alice.owner_id, mine.id)).status == 'interrupted'  # type: ignore[union-attr]
    assert (await a.store.message(alice.owner_id, theirs.id)).status == 'running'  # type: ignore[union-attr]
    await a.chat.heartbeat()  # b's row is fresh: not stale, so not touched
    assert (await a.store.message(alice.owner_id, theirs.id)).status == 'running'  # type: ignore[union-attr]


async def test_an_own_key_sign_out_cancels_chat_pictures_and_replies(
        sandbox: RunningSandbox, sandbox_client: PlatformClient, instances: tuple[Instance, Instance]) -> None:
    a, _ = instances
    sandbox.controller.chat.pace = (0.3, 0.3)
    sandbox.controller.chat.image_latency = (60.0, 60.0)
    agent = await make_agent(sandbox_client, sandbox.credentials)
    dana, erin = person(sandbox, 'dana', 'byok'), person(sandbox, 'erin', 'byok')
    conversation = await a.chat.open(dana, agent.agentId)
    others = await a.chat.open(erin, agent.agentId)
    picture = await a.pictures.start(dana, conversation, 'a lighthouse')
    await a.chat.send(dana, conversation, 'a long answer please')
    untouched = await a.pictures.start(erin, others, 'a kite')
    cancelled: list[tuple[str, str]] = []
    jobs = SimpleNamespace(cancel_running=lambda owner, kind: cancelled.append((owner, kind)))
    # runtime._drop_own_key_work as the session store calls it when dana's last session ends.
    stand_in = SimpleNamespace(sessions=SimpleNamespace(sessions_for=lambda owner: []), jobs=jobs,
                               chat_pictures=a.pictures, chat=a.chat)
    Runtime._drop_own_key_work(stand_in, SimpleNamespace(principal=dana), 'signed out')  # type: ignore[arg-type]
    await a.pictures.wait(picture.id)
    await until(lambda: a.chat.live(dana.owner_id, conversation.id) is None, what='the reply to stop')
    drawn = await a.store.message(dana.owner_id, picture.id)
    assert drawn is not None and drawn.status == 'stopped' and 'signed out' in (drawn.error or '')

    async def reply_stopped() -> bool:
        reply = (await messages(a, conversation))[-1]
        return reply.role == 'agent' and reply.status == 'stopped' and 'signed out' in (reply.error or '')

    await until(reply_stopped, what='the reply saved as stopped at sign-out')
    assert cancelled == [(dana.owner_id, 'cover')]  # covers, as before
    assert a.pictures.is_running(erin.owner_id, untouched.id)  # someone else's picture goes on
