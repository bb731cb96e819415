"""The sandbox's conversation endpoints as documented: messages word for word, conversations bound to key, user
and agent, replies written from the agent and the conversation so far, deterministic under the seed, paced, and
every fault kind available on them."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from PIL import Image

from sandbox import chat_replies
from sandbox.chat_store import Turn
from sandbox.faults import ENDPOINTS, KINDS, Faults
from services.core.secret import Secret
from services.platform.chat_models import ChatImageRequest, ChatRequest
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import BusinessError
from services.platform.signing import build_auth_headers
from tests.conftest import TEST_KEY, TEST_SECRET, make_sandbox_config
from tests.support.chat_support import make_agent
from tests.support.sandbox_server import RunningSandbox, running_sandbox


async def raw_call(sandbox: RunningSandbox, path: str, body: dict, *, user: str = 'tester') -> dict:
    headers = build_auth_headers(TEST_KEY, Secret(TEST_SECRET), user, 'POST', path, body=body)
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(sandbox.base_url + path, headers=headers, json=body)
    assert response.status_code == 200
    return response.json()


async def say(client: PlatformClient, creds: Credentials, agent_id: str, conversation_id: str, text: str) -> str:
    async with client.chat_stream(creds, ChatRequest(agentId=agent_id, conversationId=conversation_id,
                                                     text=text)) as reply:
        return await reply.collect()


@pytest.mark.parametrize('body', [{}, {'agentId': ''}, {'agentId': '   '}, {'agentId': None}])
async def test_agent_id_is_required_word_for_word(sandbox: RunningSandbox, body: dict) -> None:
    answer = await raw_call(sandbox, '/v1/chat/conversation', body)
    assert (answer['success'], answer['code'], answer['message']) == (False, 10400, 'agentId is required')


async def test_stream_and_image_check_their_fields(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    conversation = (await raw_call(sandbox, '/v1/chat/conversation', {'agentId': agent.agentId}))['data']
    base = {'agentId': agent.agentId, 'conversationId': conversation['conversationId']}
    for path in ('/v1/chat/stream', '/v1/chat/image'):
        assert (await raw_call(sandbox, path, {**base, 'text': ' '}))['message'] == 'text is required'
        assert (await raw_call(sandbox, path, {'agentId': agent.agentId, 'text': 'x'}))['message'] == \
            'conversationId is required'
        missing = await raw_call(sandbox, path, {**base, 'agentId': 'nope', 'text': 'x'})
        assert (missing['code'], missing['message']) == (10404, 'Agent not found')
        stranger = await raw_call(sandbox, path, {**base, 'text': 'x'}, user='someone-else')
        assert stranger['code'] == 10404 and 'conversationId is invalid' in stranger['message']
    bad = await raw_call(sandbox, '/v1/chat/image', {**base, 'text': 'x', 'metadata': [1]})
    assert bad['message'] == 'metadata must be an object'


async def test_another_keys_agent_is_not_found(sandbox_config: object, tmp_path: Path) -> None:
    config = make_sandbox_config(tmp_path / 'two-keys')
    config.keys['other-key'] = Secret('other-secret-0123456789')
    with running_sandbox(config) as sandbox:
        client = PlatformClient(base_url=sandbox.base_url)
        try:
            agent = await make_agent(client, sandbox.credentials)
            other = Credentials('other-key', Secret('other-secret-0123456789'), 'tester')
            with pytest.raises(BusinessError, match=r'^Agent not found'):
                await client.create_conversation(other, agent.agentId)
        finally:
            await client.aclose()


async def test_replies_come_from_the_agent_and_the_conversation_so_far(sandbox: RunningSandbox,
                                                                       sandbox_client: PlatformClient) -> None:
    creds = sandbox.credentials
    agent = await make_agent(sandbox_client, creds, name='Mia', personality='shy', relationship='crush')
    conversation, _ = await sandbox_client.create_conversation(creds, agent.agentId)
    first = await say(sandbox_client, creds, agent.agentId, conversation.conversationId, 'Hello!')
    assert first.startswith("Oh! Hi... it's Mia.")  # a crush's greeting, with the agent's own name
    assert "I get a little nervous" in first  # the shy personality
    second = await say(sandbox_client, creds, agent.agentId, conversation.conversationId, 'I adopted a cat?')
    assert '"I adopted a cat"' in second and second.startswith(('Good question.', 'Hmm,', 'I like that you asked.'))
    chinese = await make_agent(sandbox_client, creds, name='小美', language='zh', personality='caring')
    talk, _ = await sandbox_client.create_conversation(creds, chinese.agentId)
    answer = await say(sandbox_client, creds, chinese.agentId, talk.conversationId, '你好')
    assert '小美' in answer and '你现在感觉怎么样' in answer


def test_replies_are_deterministic_under_the_seed_and_recall_earlier_turns() -> None:
    agent = {'name': 'Mia', 'language': 'en', 'personality': 'witty', 'occupation': 'chef'}
    history = [Turn('user', 'Hello'), Turn('agent', 'Hi!'), Turn('user', 'I love jazz')]
    replies = {chat_replies.write_reply(agent, history, 'What now?', seed=7) for _ in range(3)}
    assert len(replies) == 1
    by_seed = {chat_replies.write_reply(agent, history, f'Tell me {n}', seed=s) for s in range(6) for n in range(6)}
    assert any('Earlier you said' in reply for reply in by_seed)  # the conversation so far is looked back on
    assert any('a chef' in reply for reply in by_seed)
    assert chat_replies.pieces('Hi there, you.', 'en') == ['Hi ', 'there, ', 'you.']
    assert ''.join(chat_replies.pieces('你好，我是小美。', 'zh')) == '你好，我是小美。'


async def test_two_sandboxes_with_one_seed_answer_alike(tmp_path: Path) -> None:
    answers = []
    for run in range(2):
        with running_sandbox(replace(make_sandbox_config(tmp_path / f'run-{run}'), seed=42)) as sandbox:
            client = PlatformClient(base_url=sandbox.base_url)
            try:
                agent = await make_agent(client, sandbox.credentials)
                talk, _ = await client.create_conversation(sandbox.credentials, agent.agentId)
                texts = [await say(client, sandbox.credentials, agent.agentId, talk.conversationId, text)
                         for text in ('Hi', 'How was work?', 'Nice')]
                picture, _ = await client.chat_image(sandbox.credentials, ChatImageRequest(
                    agentId=agent.agentId, conversationId=talk.conversationId, text='on a bike'))
                answers.append((texts, picture.base64Image))
            finally:
                await client.aclose()
    assert answers[0] == answers[1]


async def test_the_pace_is_configurable(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    talk, _ = await sandbox_client.create_conversation(sandbox.credentials, agent.agentId)
    for pace in (0.0, 0.03):
        sandbox.controller.chat.pace = (pace, pace)
        started = time.monotonic()
        reply = await say(sandbox_client, sandbox.credentials, agent.agentId, talk.conversationId, 'Hi')
        pieces = len(chat_replies.pieces(reply, 'en'))
        assert time.monotonic() - started >= pace * (pieces + 3)


async def test_chat_pictures_show_the_request_in_the_agents_look(sandbox: RunningSandbox,
                                                                  sandbox_client: PlatformClient) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    talk, _ = await sandbox_client.create_conversation(sandbox.credentials, agent.agentId)

    async def picture(text: str) -> Image.Image:
        image, _ = await sandbox_client.chat_image(sandbox.credentials, ChatImageRequest(
            agentId=agent.agentId, conversationId=talk.conversationId, text=text))
        return Image.open(io.BytesIO(base64.b64decode(image.base64Image.split(',', 1)[1])))

    beach, again, city = await picture('at the beach'), await picture('at the beach'), await picture('in the city')
    assert beach.size == (576, 768) and beach.tobytes() == again.tobytes() and beach.tobytes() != city.tobytes()
    # The caption panel (the request) differs while the figure's centre (the agent's look: face, hair) does not.
    caption, face = (40, 690, 536, 740), (240, 250, 336, 330)
    assert beach.crop(caption).tobytes() != city.crop(caption).tobytes()
    assert beach.crop(face).tobytes() == city.crop(face).tobytes()


async def test_a_chat_picture_takes_its_latency_and_is_dropped_when_nobody_waits(
        sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    agent = await make_agent(sandbox_client, sandbox.credentials)
    talk, _ = await sandbox_client.create_conversation(sandbox.credentials, agent.agentId)
    sandbox.controller.chat.image_latency = (0.4, 0.4)
    started = time.monotonic()
    await sandbox_client.chat_image(sandbox.credentials, ChatImageRequest(
        agentId=agent.agentId, conversationId=talk.conversationId, text='x'))
    assert time.monotonic() - started >= 0.4
    sandbox.controller.chat.image_latency = (30.0, 30.0)
    waiting = asyncio.create_task(sandbox_client.chat_image(sandbox.credentials, ChatImageRequest(
        agentId=agent.agentId, conversationId=talk.conversationId, text='y')))
    await asyncio.sleep(0.3)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(0.2)
    assert [t.role for t in sandbox.controller.chat.store.turns(talk.conversationId)] == ['picture']


def test_every_fault_kind_is_available_on_the_new_endpoints() -> None:
    faults = Faults()
    for endpoint in ('conversation', 'chat_stream', 'chat_image'):
        assert endpoint in ENDPOINTS
        for kind in KINDS:
            faults.set(endpoint, kind, 1)
            assert faults.take(endpoint) == kind
    faults.load_spec('conversation=busy,chat_stream=cut:2,chat_image=imageconfig')
    assert faults.snapshot()['chat_stream'] == {'kind': 'cut', 'times': 2}


@pytest.mark.parametrize(('kind', 'message'), [('busy', 'Too many requests, please try again later'),
                                               ('quota', 'API key usage limit reached'),
                                               ('badkey', 'Invalid API key')])
async def test_the_documented_messages_come_from_any_endpoint(sandbox: RunningSandbox, kind: str,
                                                              message: str) -> None:
    for endpoint, path in (('conversation', '/v1/chat/conversation'), ('options', '/v1/config/options')):
        sandbox.controller.faults.set(endpoint, kind, 1)
        answer = await raw_call(sandbox, path, {'agentId': 'x', 'namespace': 'custom_agent'})
        assert (answer['success'], answer['code'], answer['message']) == (False, 10400, message)


async def test_conversations_survive_a_restart(tmp_path: Path) -> None:
    config = make_sandbox_config(tmp_path / 'kept')
    with running_sandbox(config) as sandbox:
        client = PlatformClient(base_url=sandbox.base_url)
        try:
            agent = await make_agent(client, sandbox.credentials)
            talk, _ = await client.create_conversation(sandbox.credentials, agent.agentId)
            await say(client, sandbox.credentials, agent.agentId, talk.conversationId, 'Hi')
        finally:
            await client.aclose()
    with running_sandbox(config) as sandbox:
        client = PlatformClient(base_url=sandbox.base_url)
        try:
            again = await say(client, sandbox.credentials, agent.agentId, talk.conversationId, 'Still there?')
        finally:
            await client.aclose()
    assert '"Still there"' in again and not again.startswith('Hey you!')  # not greeted as a first message
