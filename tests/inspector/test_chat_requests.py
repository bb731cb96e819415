"""Streamed replies (POST /v1/chat/stream) are in the request log like every other call: one entry per attempt,
reported when the reply ends, fails, is refused, or the reader stops reading; the answer kept as far as it was read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.core.chat_settings import ChatSettings
from services.core.db import Database
from services.platform.chat_models import ChatRequest
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import BusinessError
from services.platform.request_log import RequestLog
from services.platform.streaming import StreamInterrupted
from tests.inspector.support import flushed, rows
from tests.support.chat_support import make_agent
from tests.support.sandbox_server import RunningSandbox

FAST = ChatSettings(first_byte_timeout=2, gap_timeout=2, total_timeout=10, image_timeout=5)
STREAM = '/v1/chat/stream'


@pytest.fixture
async def chat_client(sandbox: RunningSandbox, log: RequestLog) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(base_url=sandbox.base_url, timeout=5, slow_timeout=10, connect_timeout=2, chat=FAST)
    log.attach(client)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def ask(sandbox: RunningSandbox, chat_client: PlatformClient) -> ChatRequest:
    agent = await make_agent(chat_client, sandbox.credentials)
    conversation, _ = await chat_client.create_conversation(sandbox.credentials, agent.agentId)
    return ChatRequest(agentId=agent.agentId, conversationId=conversation.conversationId, text='Do you like tea?')


def person(sandbox: RunningSandbox) -> Credentials:
    key, secret, user = sandbox.credentials.api_key, sandbox.credentials.api_secret, sandbox.credentials.user_id
    return Credentials(key, secret, user, owner='account-tester')


def streams(db: Database) -> list[dict]:
    return [row for row in rows(db) if row['endpoint'] == STREAM]


async def test_a_streamed_reply_is_logged_with_what_came_back(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                              ask: ChatRequest, log: RequestLog, db: Database) -> None:
    async with chat_client.chat_stream(person(sandbox), ask) as reply:
        text = await reply.collect()
    await flushed(log)
    (row,) = streams(db)
    assert (row['outcome'], row['http_status'], row['message'], row['owner_id']) == ('ok', 200, 'Reply streamed',
                                                                                     'account-tester')
    assert row['trace_id'] == reply.trace_id and len(row['request_id']) == 32
    assert row['response_bytes'] >= len(text.encode()) > 0
    assert text.split()[0] in row['detail']['response_body']['text']
    assert row['detail']['signed_string'].endswith('&text=Do you like tea?')


async def test_failed_refused_and_abandoned_replies_are_logged(sandbox: RunningSandbox, chat_client: PlatformClient,
                                                               ask: ChatRequest, log: RequestLog, db: Database) -> None:
    sandbox.controller.faults.set('chat_stream', 'busy', 1)
    with pytest.raises(BusinessError):
        async with chat_client.chat_stream(person(sandbox), ask) as reply:
            await reply.collect()
    sandbox.controller.faults.set('chat_stream', 'cut', 1)
    with pytest.raises(StreamInterrupted):
        async with chat_client.chat_stream(person(sandbox), ask) as reply:
            await reply.collect()
    chat_client.clock_offset = -3600.0  # our clock an hour slow: refused, corrected, signed again
    async with chat_client.chat_stream(person(sandbox), ask) as reply:
        async for _ in reply:
            break  # the reader stops after the first piece (Stop pressed)
    await flushed(log)
    busy, cut, refused, resigned = streams(db)
    assert (busy['outcome'], busy['message']) == ('business', 'Too many requests, please try again later')
    assert cut['outcome'] == 'transport' and 'broke off' in cut['message'] and cut['response_bytes'] > 0
    assert (refused['outcome'], refused['http_status'], refused['attempt']) == ('auth', 401, 1)
    assert (resigned['outcome'], resigned['resigned'], resigned['attempt']) == ('cancelled', True, 2)
    assert resigned['call_id'] == refused['call_id'] != cut['call_id']
