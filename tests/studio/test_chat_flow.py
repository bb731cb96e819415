"""The chat page with NiceGUI's `user` fixture against a real sandbox: a conversation kept per person and agent,
replies growing as they stream, Stop, a closed page, chat pictures as jobs, privacy, and every fault on the
conversation endpoints leaving the conversation intact with words a person can act on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from runtime import runtime
from services.platform.client import PlatformClient
from tests.support.chat_support import make_agent
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import StudioEnv, click, close_tab, eventually, open_studio, see, studio_env

FAULT_WORDS = {
    'busy': 'The platform is busy',
    'quota': 'used up its allowance',
    'badkey': 'does not accept this API key',
    '401': 'refused the credentials',
    '10500': 'problem on its side',
    'http500': 'HTTP 500',
    'http502': 'HTTP 502',
    'garbage': 'not JSON (HTTP 200)',
    'drop': 'dropped',
    'stall': 'did not start to answer within 1 seconds',
    'cut': 'broke off in the middle of the reply',
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox, PLATFORM_STREAM_FIRST_BYTE_TIMEOUT='1',
                      PLATFORM_STREAM_GAP_TIMEOUT='1', PLATFORM_TIMEOUT='2')


async def new_agent(env: StudioEnv, name: str = 'Mia') -> str:
    client = PlatformClient(base_url=env.sandbox.base_url, timeout=10, slow_timeout=30)
    try:
        return (await make_agent(client, env.sandbox.credentials, name=name)).agentId
    finally:
        await client.aclose()


async def open_chat(user: User, agent_id: str, *, hello: bool = False, name: str = 'alice') -> None:
    await open_studio(user, name)
    await user.open(f'/agents/{agent_id}/chat' + ('?hello=1' if hello else ''))
    await ready(user)


async def ready(user: User) -> None:
    """Until the conversation is started (Send is enabled once it is)."""
    await see(user, 'chat-input')
    await eventually(lambda: any(e.enabled for e in user.find(marker='chat-picture').elements), seconds=10,
                     what='the conversation to start')


def texts(user: User, marker: str) -> list[str]:
    """The texts of the labels with `marker`, in page order (user.find gives a set)."""
    with user:
        return [label.text for label in ElementFilter(kind=ui.label, marker=marker)]


def say(user: User, text: str) -> None:
    user.find(marker='chat-input').clear().type(text)
    click(user, 'chat-send')


async def reply_done(user: User, count: int) -> None:
    """Until `count` replies are shown and none is being written any more."""
    def finished() -> bool:
        shown = texts(user, 'chat-agent-text')
        return len(shown) >= count and all(shown) and runtime.chat.streaming() == 0

    await eventually(finished, seconds=15, what=f'{count} finished replies')
    await user.should_not_see(marker='chat-writing', retries=50)


async def test_say_hello_streams_a_reply_that_is_kept(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    chat = env.sandbox.controller.chat
    chat.pace = (0.05, 0.05)
    seen: set[str] = set()

    async def watch() -> None:  # every text the reply's bubble shows on its way
        while True:
            with contextlib.suppress(ValueError, AssertionError):  # no page yet, or no reply drawn yet
                seen.update(t for t in texts(user, 'chat-agent-text') if t)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    try:
        await open_chat(user, agent_id, hello=True)
        await see(user, content='Mia')
        await see(user, 'chat-opening')  # the opening line the list provides
        await user.should_see('Hello!')  # said on the person's behalf by "Say hello"
        await reply_done(user, 1)
    finally:
        watcher.cancel()
    final = texts(user, 'chat-agent-text')[-1]
    assert final.startswith('Hey you! Mia here.')
    # The reply grew in place: texts seen on the way are beginnings of the final one, and shorter.
    growing = sorted(s for s in seen if s != final)
    assert len(growing) >= 3 and all(final.startswith(s) for s in growing), seen
    say(user, 'Do you like cats?')
    await reply_done(user, 2)
    assert '"Do you like cats"' in texts(user, 'chat-agent-text')[-1]
    # One platform conversation for the whole exchange, and the platform saw both turns on it.
    conversation = await runtime.chat.store.active('account-alice', agent_id)
    assert conversation is not None
    assert [t.role for t in chat.store.turns(conversation.conversation_id)] == ['user', 'agent'] * 2
    # A reload (or a second tab) shows the whole conversation from the server.
    await user.open(f'/agents/{agent_id}/chat')
    await see(user, content='Do you like cats?')
    assert texts(user, 'chat-user-text') == ['Hello!', 'Do you like cats?']
    assert texts(user, 'chat-agent-text')[-1] == texts(user, 'chat-agent-text')[-1]
    assert await runtime.chat.store.active('account-alice', agent_id) == conversation


async def test_stop_ends_the_reply_and_the_upstream_stream(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    chat = env.sandbox.controller.chat
    await open_chat(user, agent_id)
    chat.pace = (0.15, 0.15)
    say(user, 'Tell me a long story')
    await see(user, 'chat-stop')
    await eventually(lambda: any(texts(user, 'chat-agent-text')), what='the first piece')
    click(user, 'chat-stop')
    await see(user, 'chat-stopped')
    await eventually(lambda: chat.open_streams == 0 and chat.streams_abandoned == 1, what='the upstream to close')
    kept = texts(user, 'chat-agent-text')[-1]
    assert kept and not kept.endswith('😄')  # what arrived before Stop is kept, and nothing after
    chat.pace = (0.0, 0.0)
    say(user, 'Never mind')  # the conversation goes on
    await reply_done(user, 2)


async def test_closing_the_page_closes_the_upstream_stream(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    chat = env.sandbox.controller.chat
    await open_chat(user, agent_id)
    runtime.chat.orphan_grace = 0.2
    chat.pace = (0.2, 0.2)
    say(user, 'Hi there')
    await eventually(lambda: chat.open_streams == 1, what='the stream to open')
    close_tab(user)
    await eventually(lambda: chat.open_streams == 0 and chat.streams_abandoned == 1, what='the upstream to close')
    conversation = await runtime.chat.store.active('account-alice', agent_id)
    assert conversation is not None
    # The upstream closes first; the reply's 'stopped' is written to the database just after, off the loop.
    for _ in range(100):
        last = (await runtime.chat.store.messages(conversation))[-1]
        if last.status != 'streaming':
            break
        await asyncio.sleep(0.05)
    assert (last.status, last.error) == ('stopped', 'Stopped when the page was closed.')


async def test_a_picture_is_a_job_that_outlives_the_tab(env: StudioEnv, user: User,
                                                        create_user: Callable[[], User]) -> None:
    agent_id = await new_agent(env)
    env.sandbox.controller.chat.image_latency = (1.0, 1.0)
    await open_chat(user, agent_id)
    user.find(marker='chat-input').type('you on a bike')
    click(user, 'chat-picture')
    await see(user, 'chat-picture-drawing')
    close_tab(user)
    await asyncio.sleep(1.5)  # drawn while nobody looks
    await user.open(f'/agents/{agent_id}/chat')
    await see(user, 'chat-picture-image')
    image = next(iter(user.find(marker='chat-picture-image').elements))
    assert isinstance(image, ui.image)
    answer = await user.http_client.get(image.source)
    assert answer.status_code == 200 and answer.headers['content-type'] == 'image/jpeg'
    assert (await create_user().http_client.get(image.source)).status_code == 401  # not signed in: nothing


async def test_the_picture_prompt_when_nothing_is_written(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    await open_chat(user, agent_id)
    click(user, 'chat-picture')
    await see(user, 'picture-prompt')
    user.find(marker='picture-prompt').type('a sunset')
    click(user, 'picture-draw')
    await see(user, 'chat-picture-image')
    await user.should_see('a sunset')


async def test_another_person_gets_nothing_of_it(env: StudioEnv, user: User,
                                                 create_user: Callable[[], User]) -> None:
    agent_id = await new_agent(env)
    await open_chat(user, agent_id)
    say(user, 'my secret plan')
    await reply_done(user, 1)
    user.find(marker='chat-input').type('the plan, drawn')
    click(user, 'chat-picture')  # a picture of it too
    await see(user, 'chat-picture-image')
    conversation = await runtime.chat.store.active('account-alice', agent_id)
    assert conversation is not None
    alice_picture = next(m for m in await runtime.chat.store.messages(conversation) if m.role == 'picture')
    bob_user = create_user()
    await open_chat(bob_user, agent_id, name='bob')
    await see(bob_user, 'chat-opening')
    await bob_user.should_not_see('my secret plan')
    await bob_user.should_not_see(marker='chat-user')
    # Alice's picture link, even with its valid signature, serves Bob nothing.
    link = next(iter(user.find(marker='chat-picture-image').elements))
    assert isinstance(link, ui.image)
    assert (await bob_user.http_client.get(link.source)).status_code == 403
    assert await runtime.chat.store.picture('account-bob', alice_picture.id, preview=True) is None
    alice = await runtime.chat.store.active('account-alice', agent_id)
    bob = await runtime.chat.store.active('account-bob', agent_id)
    assert alice is not None and bob is not None and alice.conversation_id != bob.conversation_id
    # The platform bound each conversation to its person's user id.
    controller = env.sandbox.controller
    key = env.sandbox.credentials.api_key
    assert controller.chat.store.find(key, 'bob', alice.conversation_id) is None
    assert controller.chat.store.find(key, 'alice', alice.conversation_id) is not None


async def test_new_conversation_starts_another(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    await open_chat(user, agent_id)
    say(user, 'first topic')
    await reply_done(user, 1)
    before = await runtime.chat.store.active('account-alice', agent_id)
    click(user, 'chat-new')
    await user.should_not_see('first topic', retries=100)
    after = await runtime.chat.store.active('account-alice', agent_id)
    assert before is not None and after is not None and after.conversation_id != before.conversation_id


async def test_a_reply_is_shown_as_text(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    await open_chat(user, agent_id)
    attack = '<b>hi</b><img src=x onerror=alert(1)>'
    say(user, attack)
    await reply_done(user, 1)
    assert texts(user, 'chat-user-text') == [attack]
    assert attack in texts(user, 'chat-agent-text')[-1]  # the sandbox echoes it; it is a label's text, not markup
    assert all(not isinstance(e, ui.html) for e in user.find(marker='chat-agent').elements)


async def test_every_stream_fault_leaves_the_conversation_intact(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    await open_chat(user, agent_id)
    say(user, 'before the faults')
    await reply_done(user, 1)
    for number, (kind, words) in enumerate(FAULT_WORDS.items(), start=1):  # one after another, in one conversation
        env.sandbox.controller.faults.set('chat_stream', kind, 1)
        asked = f'during fault {kind}'
        say(user, asked)
        await see(user, 'error-box', seconds=10)
        await user.should_see(words)
        assert texts(user, 'chat-user-text')[-1] == asked  # the message stays, with the error under its reply
        click(user, 'error-action')  # Try again: the same message, answered this time, in the same place
        await eventually(lambda a=asked: a in texts(user, 'chat-agent-text')[-1], what=f'the answer after {kind}')
        await reply_done(user, number + 1)
        await user.should_not_see(marker='error-box', retries=50)
    assert texts(user, 'chat-user-text') == ['before the faults', *(f'during fault {k}' for k in FAULT_WORDS)]
    assert len(texts(user, 'chat-agent-text')) == len(FAULT_WORDS) + 1


async def test_a_fault_when_starting_and_when_drawing(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    faults = env.sandbox.controller.faults
    faults.set('conversation', 'quota', 1)
    await open_studio(user)
    await user.open(f'/agents/{agent_id}/chat')
    await see(user, content='The conversation could not be started')
    await user.should_see('used up its allowance')
    click(user, 'error-action')
    await ready(user)
    faults.set('chat_image', 'imageconfig', 1)
    user.find(marker='chat-input').type('a cat')
    click(user, 'chat-picture')
    await see(user, content='create the agent again')
    click(user, 'error-action')  # Ask again
    await see(user, 'chat-picture-image')


async def test_chat_from_the_agents_card_and_details(env: StudioEnv, user: User) -> None:
    agent_id = await new_agent(env)
    await open_studio(user)
    await user.open('/agents')
    await see(user, 'agent-chat')
    click(user, 'agent-chat')
    await see(user, 'chat-agent-name')
    await ready(user)
    await user.open('/agents')
    await see(user, f'agent-{agent_id}')
    click(user, f'agent-{agent_id}')
    await see(user, 'details-chat')
    click(user, 'details-chat')
    await see(user, 'chat-agent-name')
