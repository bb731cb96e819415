"""The conversation calls of PlatformClient against the sandbox over real HTTP: start, the streamed reply in
every shape, its three clocks, Stop closing the upstream stream, no retry once sent, and chat pictures."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from services.core.chat_settings import ChatSettings
from services.platform.chat_models import ChatImageRequest, ChatRequest
from services.platform.client import Credentials, PlatformClient, SignedRequestInfo
from services.platform.errors import (
    AuthenticationError,
    BusinessError,
    ProtocolError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from services.platform.streaming import StreamInterrupted
from tests.support.chat_support import eventually, make_agent
from tests.support.sandbox_server import RunningSandbox

FAST = ChatSettings(first_byte_timeout=2, gap_timeout=2, total_timeout=10, image_timeout=5)


@pytest.fixture
async def chat_client(sandbox: RunningSandbox) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(base_url=sandbox.base_url, timeout=5, slow_timeout=10, connect_timeout=2, chat=FAST)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def talk(sandbox: RunningSandbox, chat_client: PlatformClient) -> tuple[str, str]:
    """(agentId, conversationId) of a fresh conversation with a fresh agent."""
    agent = await make_agent(chat_client, sandbox.credentials)
    conversation, _ = await chat_client.create_conversation(sandbox.credentials, agent.agentId)
    return agent.agentId, conversation.conversationId


def ask(talk: tuple[str, str], text: str = 'Hello!') -> ChatRequest:
    return ChatRequest(agentId=talk[0], conversationId=talk[1], text=text)


async def test_a_conversation_id_is_a_uuid_and_an_unknown_agent_is_not_found(
        sandbox: RunningSandbox, chat_client: PlatformClient, talk: tuple[str, str]) -> None:
    assert re.fullmatch(r'[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}', talk[1])
    with pytest.raises(BusinessError) as missing:
        await chat_client.create_conversation(sandbox.credentials, '00000000-0000-4000-8000-00000000dead')
    assert (missing.value.user_message, missing.value.code) == ('Agent not found', 10404)
    official, _ = await chat_client.create_conversation(sandbox.credentials, '00000000-0000-4000-8000-000000000001')
    assert official.conversationId != talk[1]


async def test_the_reply_arrives_piece_by_piece(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                talk: tuple[str, str]) -> None:
    sandbox.controller.chat.pace = (0.03, 0.03)
    arrivals: list[tuple[float, str]] = []
    async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:
        async for piece in reply:
            arrivals.append((time.monotonic(), piece))
    assert len(arrivals) > 5 and ''.join(p for _, p in arrivals) == reply.text
    assert 'Mia' in reply.text  # written from the agent's own name
    # Streamed, not buffered: the first piece was in hand well before the last one was.
    assert arrivals[-1][0] - arrivals[0][0] > 0.1
    assert sandbox.controller.chat.streams_finished == 1


@pytest.mark.parametrize('shape', ['sse', 'ndjson', 'json'])
async def test_every_shape_of_answer_reads_the_same(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                    talk: tuple[str, str], shape: str) -> None:
    sandbox.controller.chat.stream_format = shape
    async with chat_client.chat_stream(sandbox.credentials, ask(talk, 'Do you like tea?')) as reply:
        text = await reply.collect()
    assert text.startswith('Hey you! Mia here.') and '"Do you like tea"' in text


async def test_the_stream_is_signed_like_any_call(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                  talk: tuple[str, str]) -> None:
    signed: list[SignedRequestInfo] = []
    chat_client.on_signed = signed.append
    async with chat_client.chat_stream(sandbox.credentials, ask(talk, '  你好  ')) as reply:
        await reply.collect()
    assert len(signed) == 1 and signed[0].url.endswith('/v1/chat/stream')
    assert signed[0].signed_string.endswith(f'\n\nagentId={talk[0]}&conversationId={talk[1]}&text=你好')
    assert signed[0].headers['x-user-id'] == 'tester'


@pytest.mark.parametrize(('kind', 'error', 'words'), [
    ('busy', BusinessError, 'Too many requests, please try again later'),
    ('quota', BusinessError, 'API key usage limit reached'),
    ('badkey', BusinessError, 'Invalid API key'),
    ('10500', BusinessError, 'backend failed'),
    ('401', AuthenticationError, 'refused the credentials'),
    ('http500', ProtocolError, 'HTTP 500'),
    ('http502', ProtocolError, '502 Bad Gateway nginx'),
    ('garbage', ProtocolError, 'not JSON (HTTP 200)'),
    ('drop', UpstreamUnreachable, 'dropped'),
    ('stall', UpstreamTimeout, 'did not start to answer within 1 seconds'),
    ('cut', StreamInterrupted, 'broke off in the middle of the reply'),
])
async def test_every_fault_is_an_error_with_words(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                  talk: tuple[str, str], kind: str, error: type[Exception],
                                                  words: str) -> None:
    chat_client.chat = replace(FAST, first_byte_timeout=1)
    signed: list[SignedRequestInfo] = []
    chat_client.on_signed = signed.append
    sandbox.controller.faults.set('chat_stream', kind, 1)
    with pytest.raises(error) as failed:
        async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:
            await reply.collect()
    assert words in str(failed.value)
    assert len(signed) == 1  # never retried: the message may have reached the model
    if kind == 'cut':
        assert isinstance(failed.value, StreamInterrupted) and failed.value.partial == 'Sorry, I was about to '
    async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:  # the next one works
        assert await reply.collect()


async def test_a_platform_gone_quiet_mid_reply_is_noticed_by_the_gap_clock(
        sandbox: RunningSandbox, chat_client: PlatformClient, talk: tuple[str, str]) -> None:
    sandbox.controller.chat.pace = (0.6, 0.6)
    chat_client.chat = replace(FAST, gap_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(StreamInterrupted, match=r'went silent .* \(nothing for 0.3 seconds\)'):
        async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:
            await reply.collect()
    assert time.monotonic() - started < 2
    await eventually(lambda: sandbox.controller.chat.open_streams == 0, what='the sandbox to see the stream closed')


async def test_a_reply_that_takes_too_long_is_cut_by_the_total_clock(
        sandbox: RunningSandbox, chat_client: PlatformClient, talk: tuple[str, str]) -> None:
    sandbox.controller.chat.pace = (0.05, 0.05)
    chat_client.chat = replace(FAST, total_timeout=0.5)
    with pytest.raises(StreamInterrupted, match=r'longer than 0\.5 seconds') as cut:
        async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:
            await reply.collect()
    assert cut.value.partial and cut.value.partial == reply.text


async def test_leaving_early_closes_the_upstream_stream(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                        talk: tuple[str, str]) -> None:
    chat = sandbox.controller.chat
    chat.pace = (0.05, 0.05)
    async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:
        first = await reply.__anext__()
        assert chat.open_streams == 1
    assert first and reply.text == first
    await eventually(lambda: chat.open_streams == 0 and chat.streams_abandoned == 1,
                     what='the sandbox to see the client leave')


async def test_stop_cancels_the_reading_task_and_the_upstream_sees_it(
        sandbox: RunningSandbox, chat_client: PlatformClient, talk: tuple[str, str]) -> None:
    chat = sandbox.controller.chat
    chat.pace = (0.05, 0.05)
    got: list[str] = []

    async def read() -> None:
        async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:
            async for piece in reply:
                got.append(piece)

    task = asyncio.create_task(read())
    await eventually(lambda: len(got) >= 2, what='two pieces')
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await eventually(lambda: chat.open_streams == 0 and chat.streams_abandoned == 1, what='the upstream to close')
    # The platform remembers only what it sent: the next reply looks back on a short agent turn.
    turns = chat.store.turns(talk[1])
    assert [t.role for t in turns] == ['user', 'agent'] and len(turns[1].text) < 60


async def test_a_refused_connection_is_retried_but_nothing_else_is(sandbox: RunningSandbox) -> None:
    client = PlatformClient(base_url='http://127.0.0.1:9', connect_timeout=0.5, chat=FAST)
    signed: list[SignedRequestInfo] = []
    client.on_signed = signed.append
    creds = Credentials('k', sandbox.credentials.api_secret, 'u')
    try:
        with pytest.raises(UpstreamUnreachable, match='could not be reached'):
            async with client.chat_stream(creds, ChatRequest(agentId='a', conversationId='c', text='hi')):
                pass
    finally:
        await client.aclose()
    assert len(signed) == 3  # nothing left the machine: safe to try again, a bounded number of times


async def test_a_wrong_clock_is_corrected_once(sandbox: RunningSandbox, chat_client: PlatformClient,
                                               talk: tuple[str, str]) -> None:
    chat_client.clock_offset = -3600
    async with chat_client.chat_stream(sandbox.credentials, ask(talk)) as reply:
        assert await reply.collect()
    assert abs(chat_client.clock_offset) < 60


async def test_a_conversation_belongs_to_its_user_and_agent(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                            talk: tuple[str, str]) -> None:
    other = Credentials(sandbox.credentials.api_key, sandbox.credentials.api_secret, 'someone-else')
    with pytest.raises(BusinessError, match='conversationId is invalid') as refused:
        async with chat_client.chat_stream(other, ask(talk)) as reply:
            await reply.collect()
    assert refused.value.code == 10404
    second = await make_agent(chat_client, sandbox.credentials, name='Zoe')
    with pytest.raises(BusinessError, match='belongs to another agent'):
        async with chat_client.chat_stream(sandbox.credentials, ChatRequest(
                agentId=second.agentId, conversationId=talk[1], text='hi')) as reply:
            await reply.collect()


async def test_a_chat_picture(sandbox: RunningSandbox, chat_client: PlatformClient, talk: tuple[str, str]) -> None:
    signed: list[SignedRequestInfo] = []
    chat_client.on_signed = signed.append
    request = ChatImageRequest(agentId=talk[0], conversationId=talk[1], text='at the beach', language='en')
    picture, trace_id = await chat_client.chat_image(sandbox.credentials, request)
    assert picture.base64Image.startswith('data:image/png;base64,') and trace_id
    assert base64.b64decode(picture.base64Image.split(',', 1)[1])[:8] == b'\x89PNG\r\n\x1a\n'
    assert picture.metadata == {}
    assert signed[0].signed_string.endswith('&language=en&metadata={}&text=at the beach')
    echoed, _ = await chat_client.chat_image(sandbox.credentials, request.model_copy(update={'metadata': {'n': 2}}))
    assert echoed.metadata == {'n': 2}
    sandbox.controller.faults.set('chat_image', 'imageconfig', 1)
    with pytest.raises(BusinessError, match='Agent missing image generation config') as broken:
        await chat_client.chat_image(sandbox.credentials, request)
    assert broken.value.code == 10500 and len(signed) == 3


async def test_a_chat_picture_that_takes_too_long_times_out(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                            talk: tuple[str, str]) -> None:
    sandbox.controller.chat.image_latency = (3.0, 3.0)
    chat_client.chat = replace(FAST, image_timeout=0.5)
    with pytest.raises(UpstreamTimeout, match=r'within 0\.5 seconds'):
        await chat_client.chat_image(sandbox.credentials, ChatImageRequest(agentId=talk[0], conversationId=talk[1],
                                                                           text='a sunset'))
