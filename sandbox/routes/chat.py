"""POST /v1/chat/conversation, /v1/chat/stream and /v1/chat/image: a conversation with an agent.

A conversation belongs to the key, the user (X-User-ID) and the agent it was started for; any other caller, or
another agent, is told it does not exist. Replies are written from the agent's attributes and the conversation
so far (chat_replies.py) and streamed a piece at a time at the configured pace, as Server-Sent Events by default
(`stream_format` 'ndjson' or 'json' exercise the other shapes a client must read). Chat pictures take the
configured latency and are drawn in the agent's look with the request written on them (chat_art.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .. import catalogue, chat_art, chat_replies, profiles
from ..auth import Caller
from ..controller import SandboxController, controller_of
from ..endpoint import api
from ..protocol import bad_request, not_found, ok
from ..request_io import sleep_unless_gone

TEXT_MAX = 2000
AGENT_NOT_FOUND = 'Agent not found'


@api('conversation')
async def conversation_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    sandbox = controller_of(request)
    agent_id = _required(body, 'agentId')
    await _agent(sandbox, caller, agent_id)
    conversation_id = await asyncio.to_thread(sandbox.chat.store.start, caller.api_key, caller.user_id, agent_id)
    return ok({'conversationId': conversation_id})


@api('chat_stream')
async def stream_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    sandbox = controller_of(request)
    agent, conversation_id, text = await _turn(sandbox, caller, body)
    store = sandbox.chat.store
    history = await asyncio.to_thread(store.turns, conversation_id)
    reply = chat_replies.write_reply(agent, history, text, seed=sandbox.config.seed)
    await asyncio.to_thread(store.add_turn, conversation_id, 'user', text)
    message_id = str(uuid.uuid4())
    language = catalogue.normalise_language(agent.get('language'))
    if sandbox.chat.stream_format == 'json':  # a platform that does not stream: the whole reply in one envelope
        await asyncio.to_thread(store.add_turn, conversation_id, 'agent', reply)
        return ok({'text': reply, 'conversationId': conversation_id, 'messageId': message_id})
    pieces = chat_replies.pieces(reply, language)
    media = 'application/x-ndjson' if sandbox.chat.stream_format == 'ndjson' else 'text/event-stream'
    return StreamingResponse(_stream(sandbox, conversation_id, message_id, pieces), media_type=media,
                             headers={'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'})


async def _stream(sandbox: SandboxController, conversation_id: str, message_id: str,
                  pieces: list[str]) -> AsyncIterator[bytes]:
    """The reply, piece by piece. When the client goes away Starlette cancels this generator at its next await:
    what was sent so far is what the conversation remembers, as a real model that was stopped would."""
    chat = sandbox.chat
    sse = chat.stream_format != 'ndjson'
    chat.open_streams += 1
    chat.streams_started += 1
    sent = ''
    finished = False
    try:
        if sse:
            yield b': connected\n\n'  # headers and a first byte at once, as SSE servers do
        for index, piece in enumerate(pieces):
            # The first piece waits longer: the model is "thinking".
            await asyncio.sleep(chat.next_pace() * (4 if index == 0 else 1))
            data = json.dumps({'text': piece, 'index': index}, ensure_ascii=False)
            yield (f'data: {data}\n\n' if sse else f'{data}\n').encode()
            sent += piece
        end = json.dumps({'done': True, 'conversationId': conversation_id, 'messageId': message_id})
        yield (f'event: end\ndata: {end}\n\n' if sse else f'{end}\n').encode()
        finished = True
    finally:
        chat.open_streams -= 1
        if finished:
            chat.streams_finished += 1
        else:
            chat.streams_abandoned += 1
        if sent:
            # A few microseconds of SQLite, and this may run in a cancelled task: no thread hop here.
            chat.store.add_turn(conversation_id, 'agent', sent)


@api('chat_image')
async def image_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    sandbox = controller_of(request)
    agent, conversation_id, text = await _turn(sandbox, caller, body)
    metadata = body.get('metadata', {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise bad_request('metadata must be an object')
    language = body.get('language')
    if language is not None and not isinstance(language, str):
        raise bad_request('language must be a string')
    if await sleep_unless_gone(request.receive, sandbox.chat.next_image_latency()):
        return Response(status_code=499)  # nobody is waiting for it any more
    png = await asyncio.to_thread(chat_art.draw_chat_picture, agent, text, seed=sandbox.config.seed)
    await asyncio.to_thread(sandbox.chat.store.add_turn, conversation_id, 'picture', text)
    return ok({'base64Image': 'data:image/png;base64,' + base64.b64encode(png).decode(), 'metadata': metadata})


# --- checks --------------------------------------------------------------------------------------------


async def _turn(sandbox: SandboxController, caller: Caller, body: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """The agent, conversation and text of a stream or image request, each checked as the platform would."""
    agent_id = _required(body, 'agentId')
    conversation_id = _required(body, 'conversationId')
    text = _required(body, 'text')
    if len(text) > TEXT_MAX:
        raise bad_request(f'text must be at most {TEXT_MAX} characters')
    agent = await _agent(sandbox, caller, agent_id)
    conversation = await asyncio.to_thread(sandbox.chat.store.find, caller.api_key, caller.user_id, conversation_id)
    if conversation is None:
        raise not_found('conversationId is invalid or expired: start a new conversation')
    if conversation.agent_id != agent_id:
        raise bad_request('conversationId belongs to another agent: start a conversation with this one')
    return agent, conversation_id, text


def _required(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise bad_request(f'{field} must be a string')
    value = (value or '').strip()
    if not value:
        raise bad_request(f'{field} is required')
    return value


async def _agent(sandbox: SandboxController, caller: Caller, agent_id: str) -> dict[str, Any]:
    """The agent's fields (its look, name, language, personality, ...): one of this key's, or an official one."""
    row = await asyncio.to_thread(sandbox.store.agent, caller.api_key, agent_id)
    if row is not None:
        return {**row.fields, 'name': row.name}
    official = profiles.official_agent(agent_id)
    if official is not None:
        return {**official['fields'], 'name': official['names']['en'], 'language': 'en'}
    raise not_found(AGENT_NOT_FOUND)
