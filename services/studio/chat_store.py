"""Conversations and their messages in the database (tables `conversations`, `chat_messages`, `chat_pictures`).

Every read and write names the owner: a conversation is only ever found for the person who started it, so a
second person opening the same agent's chat URL finds nothing of the first one's (they get a conversation of
their own). Transactions are small functions run by `Database.run` on its worker threads, never on the loop.

Several instances share these tables. Every write publishes `TOPIC` with the owner id in the changes outbox, so an
instance showing that person's conversation reloads it within a second, whichever instance wrote the reply or drew
the picture. An unfinished message (a reply streaming, a picture drawing) names the instance working on it, which
renews its `updated_at` every HEARTBEAT_SECONDS; one whose `updated_at` is older than STALE_SECONDS belongs to an
instance that died, and any instance marks it interrupted (`sweep`). A restarted instance does that for its own at
once (`interrupt_unfinished`), since whatever was writing them is gone. Stop pressed on one instance for a reply
another writes is published as `STOP_TOPIC` with the conversation's key.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from services.core.db import Database
from services.core.db import changes as outbox
from services.core.db.schema import chat_messages, chat_pictures, conversations
from services.core.i18n import N_

Role = Literal['user', 'agent', 'picture']
# streaming / running: in progress; stopped: Stop pressed, the page closed or a sign-out; interrupted: the instance
# working on it stopped (a restart, a crash).
Status = Literal['done', 'streaming', 'running', 'stopped', 'failed', 'interrupted']
UNFINISHED = ('streaming', 'running')
# Said of a restart and of an instance that died alike: either way what was writing it is gone.
# Stored in English and translated where shown.
INTERRUPTED_REPLY = N_('The studio stopped (a restart or a failure) while this reply was being written.')
INTERRUPTED_PICTURE = N_('The studio stopped (a restart or a failure) while this picture was being drawn.')
TOPIC = 'chat'  # key: the owner id; that person's conversations changed
STOP_TOPIC = 'chat-stop'  # key: a conversation's id; stop the reply being written in it, wherever that is
HEARTBEAT_SECONDS = 5.0
STALE_SECONDS = 20.0  # four missed heartbeats, as for cover jobs (services/studio/job_store.py)


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
    def __init__(self, db: Database, *, instance: str | None = None, origin: str | None = None) -> None:
        self.db = db
        self.instance = instance  # STUDIO_INSTANCE_ID: named on what this instance is working on
        self.origin = origin  # names this process in the changes it publishes (it tells its own pages itself)

    # --- conversations --------------------------------------------------------------------------------

    async def active(self, owner_id: str, agent_id: str) -> Conversation | None:
        return await self.db.read(_active, owner_id, agent_id)

    async def start(self, owner_id: str, agent: AgentCard, conversation_id: str) -> Conversation:
        """Keep a new platform conversation as this person's active one with the agent (any earlier one is kept,
        but no longer active)."""
        return await self.db.run(_start, owner_id, agent, conversation_id, self.origin)

    async def update_agent(self, conversation: Conversation, agent: AgentCard) -> None:
        await self.db.run(_update_agent, conversation.owner_id, conversation.id, agent, self.origin)

    # --- messages -------------------------------------------------------------------------------------

    async def messages(self, conversation: Conversation) -> list[Message]:
        return await self.db.read(_messages, conversation.owner_id, conversation.id)

    async def message(self, owner_id: str, message_id: str) -> Message | None:
        return await self.db.read(_message, owner_id, message_id)

    async def add(self, conversation: Conversation, role: Role, status: Status, text: str,
                  data: dict[str, Any] | None = None) -> Message:
        return await self.db.run(_add, conversation.owner_id, conversation.id, role, status, text, data or {},
                                 self.instance, self.origin)

    async def save(self, owner_id: str, message: Message) -> None:
        await self.db.run(_save, owner_id, message, self.instance, self.origin)

    async def unfinished_reply(self, conversation: Conversation) -> bool:
        """Whether a reply in this conversation is being written (by any instance)."""
        return await self.db.read(_unfinished_reply, conversation.owner_id, conversation.id)

    async def request_stop(self, conversation: Conversation) -> None:
        """Ask whichever instance writes this conversation's reply to stop it."""
        await self.db.run(lambda connection: outbox.publish(connection, STOP_TOPIC, conversation.id,
                                                            origin=self.origin))

    # --- pictures -------------------------------------------------------------------------------------

    async def save_picture(self, owner_id: str, message: Message, png: bytes, preview: bytes | None) -> None:
        await self.db.run(_save_picture, owner_id, message, png, preview, self.instance, self.origin)

    async def picture(self, owner_id: str, message_id: str, *, preview: bool) -> bytes | None:
        return await self.db.read(_picture, owner_id, message_id, preview)

    # --- instances coming and going --------------------------------------------------------------------

    def interrupt_unfinished(self) -> list[str]:
        """At start-up (blocking): replies and pictures this instance was working on when it stopped are marked
        interrupted, so nobody is shown "writing..." forever. Other instances' are theirs: they may be alive, and
        `sweep` finds those that are not. Returns the owners whose conversations changed."""
        return self.db.run_sync(_interrupt, self.instance, None, None, self.origin)

    async def heartbeat(self) -> None:
        """Renew this instance's unfinished messages (call only while something runs here)."""
        await self.db.run(_heartbeat, self.instance)

    async def sweep(self) -> list[str]:
        """Mark interrupted the unfinished messages of instances that stopped renewing theirs; returns the owners
        whose conversations changed."""
        return await self.db.run(_interrupt, None, time.time() - STALE_SECONDS, self.instance, self.origin)


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


def _start(connection: Connection, owner_id: str, agent: AgentCard, conversation_id: str,
           origin: str | None = None) -> Conversation:
    now = time.time()
    connection.execute(update(conversations).where(
        conversations.c.owner_id == owner_id, conversations.c.agent_id == agent.agent_id,
        conversations.c.active.is_(True)).values(active=False, updated_at=now))
    key = uuid.uuid4().hex
    connection.execute(insert(conversations).values(
        id=key, owner_id=owner_id, agent_id=agent.agent_id, conversation_id=conversation_id, active=True,
        agent=agent.to_json(), created_at=now, updated_at=now))
    outbox.publish(connection, TOPIC, owner_id, origin=origin)
    return Conversation(key, owner_id, agent.agent_id, conversation_id, agent, now)


def _update_agent(connection: Connection, owner_id: str, key: str, agent: AgentCard, origin: str | None) -> None:
    connection.execute(update(conversations).where(conversations.c.id == key, conversations.c.owner_id == owner_id)
                       .values(agent=agent.to_json()))
    outbox.publish(connection, TOPIC, owner_id, origin=origin)


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
         data: dict[str, Any], instance: str | None, origin: str | None) -> Message:
    # A write transaction (SQLite: BEGIN IMMEDIATE): the next seq cannot be taken twice.
    seq = int(connection.execute(select(func.coalesce(func.max(chat_messages.c.seq), 0))
                                 .where(chat_messages.c.conversation == key)).scalar_one()) + 1
    now = time.time()
    message = Message(id=uuid.uuid4().hex, conversation=key, seq=seq, role=role, status=status, text=text,
                      created_at=now, data=data)
    connection.execute(insert(chat_messages).values(
        id=message.id, conversation=key, owner_id=owner_id, seq=seq, role=role, status=status, text=text, data=data,
        created_at=now, updated_at=now, instance=instance if status in UNFINISHED else None))
    connection.execute(update(conversations).where(conversations.c.id == key).values(updated_at=now))
    outbox.publish(connection, TOPIC, owner_id, origin=origin)
    return message


def _save(connection: Connection, owner_id: str, message: Message, instance: str | None, origin: str | None) -> None:
    # A reply written again (Retry) is this instance's from now on, whoever wrote it before.
    connection.execute(update(chat_messages).where(
        chat_messages.c.id == message.id, chat_messages.c.owner_id == owner_id).values(
        status=message.status, text=message.text, data=message.data, updated_at=time.time(),
        instance=instance if message.status in UNFINISHED else None))
    outbox.publish(connection, TOPIC, owner_id, origin=origin)


def _save_picture(connection: Connection, owner_id: str, message: Message, png: bytes, preview: bytes | None,
                  instance: str | None, origin: str | None) -> None:
    connection.execute(insert(chat_pictures).values(message_id=message.id, owner_id=owner_id, content=png,
                                                    preview=preview, created_at=time.time()))
    _save(connection, owner_id, message, instance, origin)


def _unfinished_reply(connection: Connection, owner_id: str, key: str) -> bool:
    return connection.execute(select(chat_messages.c.id).where(
        chat_messages.c.conversation == key, chat_messages.c.owner_id == owner_id, chat_messages.c.role == 'agent',
        chat_messages.c.status.in_(UNFINISHED)).limit(1)).first() is not None


def _picture(connection: Connection, owner_id: str, message_id: str, preview: bool) -> bytes | None:
    row = connection.execute(select(chat_pictures.c.content, chat_pictures.c.preview).where(
        and_(chat_pictures.c.message_id == message_id, chat_pictures.c.owner_id == owner_id))).first()
    if row is None:
        return None
    return bytes(row.preview) if preview and row.preview is not None else bytes(row.content)


def _heartbeat(connection: Connection, instance: str | None) -> None:
    connection.execute(update(chat_messages).where(
        chat_messages.c.instance == instance, chat_messages.c.status.in_(UNFINISHED)).values(updated_at=time.time()))


def _interrupt(connection: Connection, instance: str | None, stale_before: float | None, exclude: str | None,
               origin: str | None) -> list[str]:
    """Mark unfinished messages interrupted: `instance`'s (a restarted instance's own), or those not renewed since
    `stale_before` (an instance that died) of any instance but `exclude`. Returns the owners concerned."""
    query = select(chat_messages.c.id, chat_messages.c.owner_id, chat_messages.c.role, chat_messages.c.data) \
        .where(chat_messages.c.status.in_(UNFINISHED))
    if instance is not None:
        query = query.where(chat_messages.c.instance == instance)
    if stale_before is not None:
        query = query.where(chat_messages.c.updated_at < stale_before)
    if exclude is not None:  # rows written before instances were named have none: anybody's
        query = query.where(or_(chat_messages.c.instance.is_(None), chat_messages.c.instance != exclude))
    owners: set[str] = set()
    now = time.time()
    for row in connection.execute(query).all():
        words = INTERRUPTED_PICTURE if row.role == 'picture' else INTERRUPTED_REPLY
        condition = [chat_messages.c.id == row.id, chat_messages.c.status.in_(UNFINISHED)]
        if stale_before is not None:  # conditional: its instance may have renewed it meanwhile (alive after all)
            condition.append(chat_messages.c.updated_at < stale_before)
        if connection.execute(update(chat_messages).where(*condition).values(
                status='interrupted', data={**(row.data or {}), 'error': words}, updated_at=now,
                instance=None)).rowcount:
            owners.add(row.owner_id)
    for owner_id in sorted(owners):
        outbox.publish(connection, TOPIC, owner_id, origin=origin)
    return sorted(owners)
