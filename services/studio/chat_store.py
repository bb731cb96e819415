"""Conversations and their messages in the database (tables `conversations`, `chat_messages`, `chat_pictures`).

Every read and write names the owner: a conversation is only ever found for the person who started it, so a
second person opening the same agent's chat URL finds nothing of the first one's (they get a conversation of
their own). Transactions are small functions run by `Database.run` on its worker threads, never on the loop.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from services.core.db import Database
from services.core.db.schema import chat_messages, chat_pictures, conversations
from services.core.i18n import N_

Role = Literal['user', 'agent', 'picture']
# streaming / running: in progress; stopped: Stop pressed or the page closed; interrupted: the studio restarted.
Status = Literal['done', 'streaming', 'running', 'stopped', 'failed', 'interrupted']
UNFINISHED = ('streaming', 'running')
# Stored in English (written at start-up, when nobody is being answered) and translated where shown.
INTERRUPTED_REPLY = N_('The studio restarted while this reply was being written.')
INTERRUPTED_PICTURE = N_('The studio restarted while this picture was being drawn.')


@dataclass(frozen=True)
class AgentCard:
    """What the chat page shows of an agent, as the agent list gave it (all optional but the id and name)."""

    agent_id: str
    name: str
    cover_url: str | None = None
    opening_line: str | None = None
    language: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {'agentId': self.agent_id, 'name': self.name, 'coverUrl': self.cover_url,
                'openingLine': self.opening_line, 'language': self.language}

    @classmethod
    def from_json(cls, data: dict[str, Any], agent_id: str) -> AgentCard:
        return cls(agent_id=agent_id, name=str(data.get('name') or 'Agent'), cover_url=data.get('coverUrl'),
                   opening_line=data.get('openingLine'), language=data.get('language'))


@dataclass(frozen=True)
class Conversation:
    id: str  # ours
    owner_id: str
    agent_id: str
    conversation_id: str  # the platform's
    agent: AgentCard
    created_at: float


@dataclass
class Message:
    id: str
    conversation: str
    seq: int
    role: Role
    status: Status
    text: str
    created_at: float
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return self.data.get('error')

    @property
    def trace_id(self) -> str | None:
        return self.data.get('traceId')

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED


class ChatStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- conversations --------------------------------------------------------------------------------

    async def active(self, owner_id: str, agent_id: str) -> Conversation | None:
        return await self.db.read(_active, owner_id, agent_id)

    async def start(self, owner_id: str, agent: AgentCard, conversation_id: str) -> Conversation:
        """Keep a new platform conversation as this person's active one with the agent (any earlier one is kept,
        but no longer active)."""
        return await self.db.run(_start, owner_id, agent, conversation_id)

    async def update_agent(self, conversation: Conversation, agent: AgentCard) -> None:
        await self.db.run(_update_agent, conversation.owner_id, conversation.id, agent)

    # --- messages -------------------------------------------------------------------------------------

    async def messages(self, conversation: Conversation) -> list[Message]:
        return await self.db.read(_messages, conversation.owner_id, conversation.id)

    async def message(self, owner_id: str, message_id: str) -> Message | None:
        return await self.db.read(_message, owner_id, message_id)

    async def add(self, conversation: Conversation, role: Role, status: Status, text: str,
                  data: dict[str, Any] | None = None) -> Message:
        return await self.db.run(_add, conversation.owner_id, conversation.id, role, status, text, data or {})

    async def save(self, owner_id: str, message: Message) -> None:
        await self.db.run(_save, owner_id, message)

    # --- pictures -------------------------------------------------------------------------------------

    async def save_picture(self, owner_id: str, message: Message, png: bytes, preview: bytes | None) -> None:
        await self.db.run(_save_picture, owner_id, message, png, preview)

    async def picture(self, owner_id: str, message_id: str, *, preview: bool) -> bytes | None:
        return await self.db.read(_picture, owner_id, message_id, preview)

    # --- start-up -------------------------------------------------------------------------------------

    def interrupt_unfinished(self) -> int:
        """At start-up (blocking): replies and pictures this process was working on when it stopped are marked
        interrupted, so nobody is shown "writing..." forever. Returns how many."""
        return self.db.run_sync(_interrupt_unfinished)


# --- transactions (run on database threads) ---------------------------------------------------------------


def _conversation(row: Any) -> Conversation:
    return Conversation(id=row.id, owner_id=row.owner_id, agent_id=row.agent_id,
                        conversation_id=row.conversation_id, agent=AgentCard.from_json(row.agent, row.agent_id),
                        created_at=row.created_at)


def _active(connection: Connection, owner_id: str, agent_id: str) -> Conversation | None:
    row = connection.execute(
        select(conversations).where(conversations.c.owner_id == owner_id, conversations.c.agent_id == agent_id,
                                    conversations.c.active.is_(True))
        .order_by(conversations.c.created_at.desc()).limit(1)).first()
    return _conversation(row) if row is not None else None


def _start(connection: Connection, owner_id: str, agent: AgentCard, conversation_id: str) -> Conversation:
    now = time.time()
    connection.execute(update(conversations).where(
        conversations.c.owner_id == owner_id, conversations.c.agent_id == agent.agent_id,
        conversations.c.active.is_(True)).values(active=False, updated_at=now))
    key = uuid.uuid4().hex
    connection.execute(insert(conversations).values(
        id=key, owner_id=owner_id, agent_id=agent.agent_id, conversation_id=conversation_id, active=True,
        agent=agent.to_json(), created_at=now, updated_at=now))
    return Conversation(key, owner_id, agent.agent_id, conversation_id, agent, now)


def _update_agent(connection: Connection, owner_id: str, key: str, agent: AgentCard) -> None:
    connection.execute(update(conversations).where(conversations.c.id == key, conversations.c.owner_id == owner_id)
                       .values(agent=agent.to_json()))


def _to_message(row: Any) -> Message:
    return Message(id=row.id, conversation=row.conversation, seq=row.seq, role=row.role, status=row.status,
                   text=row.text, created_at=row.created_at, data=dict(row.data or {}))


def _messages(connection: Connection, owner_id: str, key: str) -> list[Message]:
    rows = connection.execute(select(chat_messages).where(
        chat_messages.c.conversation == key, chat_messages.c.owner_id == owner_id).order_by(chat_messages.c.seq))
    return [_to_message(row) for row in rows]


def _message(connection: Connection, owner_id: str, message_id: str) -> Message | None:
    row = connection.execute(select(chat_messages).where(
        chat_messages.c.id == message_id, chat_messages.c.owner_id == owner_id)).first()
    return _to_message(row) if row is not None else None


def _add(connection: Connection, owner_id: str, key: str, role: Role, status: Status, text: str,
         data: dict[str, Any]) -> Message:
    # A write transaction (SQLite: BEGIN IMMEDIATE): the next seq cannot be taken twice.
    seq = int(connection.execute(select(func.coalesce(func.max(chat_messages.c.seq), 0))
                                 .where(chat_messages.c.conversation == key)).scalar_one()) + 1
    now = time.time()
    message = Message(id=uuid.uuid4().hex, conversation=key, seq=seq, role=role, status=status, text=text,
                      created_at=now, data=data)
    connection.execute(insert(chat_messages).values(
        id=message.id, conversation=key, owner_id=owner_id, seq=seq, role=role, status=status, text=text, data=data,
        created_at=now, updated_at=now))
    connection.execute(update(conversations).where(conversations.c.id == key).values(updated_at=now))
    return message


def _save(connection: Connection, owner_id: str, message: Message) -> None:
    connection.execute(update(chat_messages).where(
        chat_messages.c.id == message.id, chat_messages.c.owner_id == owner_id).values(
        status=message.status, text=message.text, data=message.data, updated_at=time.time()))


def _save_picture(connection: Connection, owner_id: str, message: Message, png: bytes, preview: bytes | None) -> None:
    connection.execute(insert(chat_pictures).values(message_id=message.id, owner_id=owner_id, content=png,
                                                    preview=preview, created_at=time.time()))
    _save(connection, owner_id, message)


def _picture(connection: Connection, owner_id: str, message_id: str, preview: bool) -> bytes | None:
    row = connection.execute(select(chat_pictures.c.content, chat_pictures.c.preview).where(
        and_(chat_pictures.c.message_id == message_id, chat_pictures.c.owner_id == owner_id))).first()
    if row is None:
        return None
    return bytes(row.preview) if preview and row.preview is not None else bytes(row.content)


def _interrupt_unfinished(connection: Connection) -> int:
    rows = connection.execute(select(chat_messages.c.id, chat_messages.c.role, chat_messages.c.data)
                              .where(chat_messages.c.status.in_(UNFINISHED))).all()
    for row in rows:
        words = INTERRUPTED_PICTURE if row.role == 'picture' else INTERRUPTED_REPLY
        connection.execute(update(chat_messages).where(chat_messages.c.id == row.id).values(
            status='interrupted', data={**(row.data or {}), 'error': words}, updated_at=time.time()))
    return len(rows)
