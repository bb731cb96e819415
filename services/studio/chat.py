"""Conversations with agents, kept on the server per person and agent; replies streamed as they are written.

A person has one active conversation per agent (its platform conversationId reused for every message, as the
platform asks); "New conversation" starts another. Every message is in the database (chat_store.py), so a reload,
a second tab or a restart shows the whole conversation.

A reply is a task of this process. While it streams, each piece goes at once to every page of that person showing
that agent (`subscribe`), as the text so far, and the text is saved every few seconds and at the end. A reply
belongs to the pages showing it: Stop cancels it, and when the last page showing it closes (after a short grace, so
a reload carries on with it), it is cancelled too. Cancelling closes the upstream stream (see
services/platform/streaming.py). Chat pictures are jobs that outlive the page (chat_pictures.py).

Several instances may share the database. Pages of this instance hear of this instance's replies piece by piece;
what another instance writes reaches them through the changes outbox (`on_changed`, subscribed by the runtime):
its checkpoints every CHECKPOINT_SECONDS while it streams, and its end. Stop pressed here for a reply another
instance writes is sent there (`stop_anywhere`). Every instance renews what it works on (`heartbeat`) and marks
interrupted what an instance that died left unfinished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from services.auth.sessions import Principal
from services.core.db.changes import Change
from services.core.i18n import N_, _, task_context
from services.platform.chat_models import ChatRequest
from services.platform.client import PlatformClient
from services.platform.errors import PlatformError
from services.platform.streaming import StreamInterrupted
from services.studio.chat_agents import AgentDirectory
from services.studio.chat_audience import Audience, Subscription, Topic
from services.studio.chat_events import ChatEvent, ChatRefused, Listener, chat_words
from services.studio.chat_store import INTERRUPTED_REPLY, AgentCard, ChatStore, Conversation, Message

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # characters in one message
MAX_REPLIES_PER_PERSON = 3  # replies streaming at once for one person (over all their agents)
CHECKPOINT_SECONDS = 2.0  # a reply in progress is saved this often, so a crash loses little of it
ORPHAN_GRACE = 2.0  # seconds a reply outlives the last page showing it (a reload comes back within this)
StopReason = Literal['stopped', 'page closed', 'signed out', 'shutdown']
# Stored with the message in English and translated where shown (services/core/i18n.translate).
STOP_WORDS = {'stopped': N_('Stopped.'), 'page closed': N_('Stopped when the page was closed.'),
              'signed out': N_('Stopped when you signed out (your own key is forgotten then).'),
              'shutdown': INTERRUPTED_REPLY}
BUSY_ELSEWHERE = N_('The reply is still being written (in another tab): wait for it, or press Stop.')


@dataclass
class LiveReply:
    topic: Topic
    conversation: str
    message: Message
    task: asyncio.Task[None] | None = None
    stop_reason: StopReason | None = None
    started: float = field(default_factory=time.monotonic)
    first_piece_at: float | None = None  # time.monotonic(), for the benchmark


class ChatService:
    def __init__(self, store: ChatStore, platform: PlatformClient, directory: AgentDirectory, *,
                 orphan_grace: float = ORPHAN_GRACE) -> None:
        self.store = store
        self.directory = directory
        self._platform = platform
        self._audience = Audience(grace=orphan_grace, on_orphaned=self._orphaned)
        self._live: dict[str, LiveReply] = {}  # conversation key -> its reply being written
        self._opening: dict[Topic, asyncio.Lock] = {}
        self._saving: set[asyncio.Task[None]] = set()  # strong references to saves outliving their reply

    # --- conversations --------------------------------------------------------------------------------

    async def open(self, principal: Principal, agent_id: str, *, card: AgentCard | None = None) -> Conversation:
        """This person's active conversation with the agent, started on the platform if there is none yet."""
        topic = (principal.owner_id, agent_id)
        existing = await self.store.active(*topic)
        if existing is not None:
            return existing
        async with self._opening.setdefault(topic, asyncio.Lock()):  # two tabs opening at once start one
            existing = await self.store.active(*topic)
            if existing is not None:
                return existing
            return await self._start(principal, agent_id, card)

    async def new_conversation(self, principal: Principal, agent_id: str) -> Conversation:
        topic = (principal.owner_id, agent_id)
        async with self._opening.setdefault(topic, asyncio.Lock()):
            current = await self.store.active(*topic)
            if current is not None:
                self.stop(principal.owner_id, current.id)
            return await self._start(principal, agent_id, current.agent if current else None)

    async def _start(self, principal: Principal, agent_id: str, card: AgentCard | None) -> Conversation:
        if card is None:
            with contextlib.suppress(PlatformError):  # the card is nice to have; the conversation is what counts
                card = await self.directory.find(principal.credentials, agent_id)
        conversation, _trace = await self._platform.create_conversation(principal.credentials, agent_id)
        started = await self.store.start(principal.owner_id, card or AgentCard(agent_id, 'Agent'),
                                         conversation.conversationId)
        self._emit((principal.owner_id, agent_id), ChatEvent('replaced'))
        return started

    async def refresh_card(self, principal: Principal, conversation: Conversation) -> AgentCard | None:
        """Read the agent's card from the platform again; stored (and told to its pages) when it changed."""
        card = await self.directory.find(principal.credentials, conversation.agent_id,
                                         language=conversation.agent.language or 'en')
        if card is not None and card != conversation.agent:
            await self.store.update_agent(conversation, card)
            self._emit((conversation.owner_id, conversation.agent_id), ChatEvent('replaced'))
        return card

    # --- messages and replies -------------------------------------------------------------------------

    async def send(self, principal: Principal, conversation: Conversation, text: str) -> Message:
        """Add the person's message and start the agent's reply; returns the reply's (streaming) message."""
        text = text.strip()
        self._check(principal, conversation, text)
        if await self.store.unfinished_reply(conversation):  # written by another instance: one reply at a time
            raise ChatRefused(BUSY_ELSEWHERE)
        asked = await self.store.add(conversation, 'user', 'done', text)
        reply = await self.store.add(conversation, 'agent', 'streaming', '', {'asked': text, 'for': asked.id})
        self._reply(principal, conversation, reply, text)
        return reply

    async def retry(self, principal: Principal, conversation: Conversation, message_id: str) -> Message:
        """Write a reply that failed (or was stopped or interrupted) again, in the same place."""
        message = await self.store.message(principal.owner_id, message_id)
        if message is None or message.conversation != conversation.id or message.role != 'agent' \
                or not message.finished or message.status == 'done':
            raise ChatRefused(_('That reply can no longer be written again; send the message again instead.'))
        asked = str(message.data.get('asked') or '')
        self._check(principal, conversation, asked)
        if await self.store.unfinished_reply(conversation):
            raise ChatRefused(BUSY_ELSEWHERE)
        message.status, message.text = 'streaming', ''
        message.data = {'asked': asked, 'for': message.data.get('for')}
        await self.store.save(principal.owner_id, message)
        self._reply(principal, conversation, message, asked)
        return message

    def _check(self, principal: Principal, conversation: Conversation, text: str) -> None:
        if conversation.owner_id != principal.owner_id:
            raise ChatRefused(_('This conversation is not yours.'))
        if not text:
            raise ChatRefused(_('Write a message first.'))
        if len(text) > MAX_TEXT:
            raise ChatRefused(_('A message can be at most {limit} characters (this one has {count}).')
                              .format(limit=MAX_TEXT, count=len(text)))
        if conversation.id in self._live:
            raise ChatRefused(_('The reply is still being written: wait for it, or press Stop.'))
        mine = sum(1 for live in self._live.values() if live.topic[0] == principal.owner_id)
        if mine >= MAX_REPLIES_PER_PERSON:
            raise ChatRefused(_('{count} replies are being written for you at once, the most there can be. Wait '
                                'for one to finish.').format(count=mine))

    def _reply(self, principal: Principal, conversation: Conversation, message: Message, text: str) -> None:
        topic = (conversation.owner_id, conversation.agent_id)
        live = LiveReply(topic, conversation.id, message)
        self._live[conversation.id] = live
        # In the language of the person who sent the message: its failures are worded inside the task.
        live.task = asyncio.get_running_loop().create_task(self._write(principal, conversation, live, text),
                                                           name=f'chat-reply-{message.id}', context=task_context())
        live.task.add_done_callback(lambda _: self._reply_ended(live))
        self._emit(topic, ChatEvent('changed'))

    def _reply_ended(self, live: LiveReply) -> None:
        if self._live.get(live.conversation) is live:
            del self._live[live.conversation]
        message = live.message
        if message.status == 'streaming':  # cancelled before it ever ran: its own except/finally never did
            reason = live.stop_reason or 'shutdown'
            message.status = 'interrupted' if reason == 'shutdown' else 'stopped'
            message.data['error'] = STOP_WORDS[reason]
            saving = asyncio.get_running_loop().create_task(self._save_last(live.topic[0], message))
            self._saving.add(saving)

            def saved(task: asyncio.Task[None]) -> None:
                self._saving.discard(task)
                self._emit(live.topic, ChatEvent('changed'))

            saving.add_done_callback(saved)

    async def _write(self, principal: Principal, conversation: Conversation, live: LiveReply, text: str) -> None:
        message = live.message
        request = ChatRequest(agentId=conversation.agent_id, conversationId=conversation.conversation_id, text=text)
        saved_at = time.monotonic()
        try:
            async with self._platform.chat_stream(principal.credentials, request) as reply:
                async for _piece in reply:
                    message.text = reply.text
                    if live.first_piece_at is None:
                        live.first_piece_at = time.monotonic()
                    self._emit(live.topic, ChatEvent('piece', message.id, message.text))
                    if time.monotonic() - saved_at > CHECKPOINT_SECONDS:
                        saved_at = time.monotonic()
                        await self.store.save(conversation.owner_id, message)
                message.data['traceId'] = reply.trace_id
            if message.text.strip():
                message.status = 'done'
            else:
                message.status, message.data['error'] = 'failed', N_('The platform sent an empty reply. Try again.')
        except asyncio.CancelledError:
            reason = live.stop_reason or 'shutdown'
            message.status = 'interrupted' if reason == 'shutdown' else 'stopped'
            message.data['error'] = STOP_WORDS[reason]
            raise
        except PlatformError as error:
            if isinstance(error, StreamInterrupted):
                message.text = error.partial
            message.status = 'failed'
            message.data.update(error=chat_words(error, 'answer'), traceId=error.trace_id, code=error.code)
            log.info('chat reply %s failed: %s', message.id, error)
        except Exception as error:
            log.exception('chat reply %s failed unexpectedly', message.id)
            message.status = 'failed'
            message.data['error'] = _('Something went wrong in the studio while replying ({error}).') \
                .format(error=type(error).__name__)
        finally:
            # Saved before it stops being live: a page redrawing in between reads the live text, never a stale row.
            await self._save_last(conversation.owner_id, message)
            if self._live.get(conversation.id) is live:
                del self._live[conversation.id]
            self._emit(live.topic, ChatEvent('changed'))

    async def _save_last(self, owner_id: str, message: Message) -> None:
        try:
            # Shielded: a reply that was stopped must still be saved as stopped, with what it had.
            await asyncio.shield(self.store.save(owner_id, message))
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception('could not save chat message %s', message.id)

    def stop(self, owner_id: str, conversation_key: str, reason: StopReason = 'stopped') -> bool:
        live = self._live.get(conversation_key)
        if live is None or live.topic[0] != owner_id or live.task is None or live.task.done():
            return False
        live.stop_reason = reason
        live.task.cancel()
        return True

    async def stop_anywhere(self, conversation: Conversation) -> bool:
        """Stop the conversation's reply, here or on the instance writing it (which hears of it within a second).
        Returns whether one was being written."""
        if self.stop(conversation.owner_id, conversation.id):
            return True
        if await self.store.unfinished_reply(conversation):
            await self.store.request_stop(conversation)
            return True
        return False

    def stop_all(self, owner_id: str, reason: StopReason) -> int:
        """Stop every reply this instance writes for this person (their own key was forgotten at sign-out)."""
        return sum(self.stop(owner_id, live.conversation, reason) for live in list(self._live.values())
                   if live.topic[0] == owner_id)

    def live(self, owner_id: str, conversation_key: str) -> LiveReply | None:
        live = self._live.get(conversation_key)
        return live if live is not None and live.topic[0] == owner_id else None

    def streaming(self) -> int:
        return len(self._live)

    # --- pages ----------------------------------------------------------------------------------------

    @property
    def orphan_grace(self) -> float:
        return self._audience.grace

    @orphan_grace.setter
    def orphan_grace(self, seconds: float) -> None:
        self._audience.grace = seconds

    def subscribe(self, owner_id: str, agent_id: str, listener: Listener, *, watching: bool = True) -> Subscription:
        """Call `listener(event)` for every change to this person's conversation with this agent, until the
        returned subscription is closed. A watching subscription (a page someone has open) keeps a reply going;
        when the last one stops watching, the reply is stopped after `orphan_grace` seconds. Listeners run in the
        reply's task: they may update, never wait."""
        return self._audience.subscribe((owner_id, agent_id), listener, watching=watching)

    def listener_count(self) -> int:
        return self._audience.listener_count()

    def _orphaned(self, topic: Topic) -> None:
        for live in list(self._live.values()):
            if live.topic == topic:
                self.stop(topic[0], live.conversation, 'page closed')

    def _emit(self, topic: Topic, event: ChatEvent) -> None:
        self._audience.emit(topic, event)

    def notify(self, owner_id: str, agent_id: str) -> None:
        """Tell this person's pages showing the agent that its messages changed (chat pictures use it)."""
        self._emit((owner_id, agent_id), ChatEvent('changed'))

    def owner_changed(self, owner_id: str) -> None:
        """Something of this person's conversations changed elsewhere (which one, the outbox does not say): every
        page of theirs here reads its conversation again, the active one included ("New conversation")."""
        for topic in self._audience.topics_of(owner_id):
            self._emit(topic, ChatEvent('replaced'))

    # --- other instances --------------------------------------------------------------------------------

    def on_changed(self, change: Change) -> None:
        """The change notifier's listener for chat_store.TOPIC: another instance wrote to this person's
        conversations (a reply's checkpoint or end, a picture drawn, a new conversation)."""
        self.owner_changed(change.key)

    def on_stop_requested(self, change: Change) -> None:
        """The change notifier's listener for chat_store.STOP_TOPIC: Stop was pressed on another instance for a
        reply this one writes."""
        live = self._live.get(change.key)
        if live is not None:
            self.stop(live.topic[0], live.conversation)

    async def heartbeat(self, *, pictures_here: int = 0) -> None:
        """One round (the runtime runs it every chat_store.HEARTBEAT_SECONDS): renew what this instance is
        writing or drawing, and mark interrupted what instances that stopped renewing theirs left unfinished."""
        if self._live or pictures_here:
            await self.store.heartbeat()
        for owner_id in await self.store.sweep():
            self.owner_changed(owner_id)  # this instance's pages: the outbox rows it wrote are skipped here

    async def close(self) -> None:
        """Stop every reply (the studio is shutting down); each is saved as interrupted."""
        tasks = [live.task for live in self._live.values() if live.task is not None]
        for live in list(self._live.values()):
            live.stop_reason = 'shutdown'
            if live.task is not None:
                live.task.cancel()
        self._audience.close()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
