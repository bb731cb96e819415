"""/agents/{agentId}/chat: a conversation with one agent, its reply appearing as it is written.

Everything shown comes from the server (services/studio/chat.py): the conversation is this person's, kept in the
database, so a reload or a second tab shows all of it. While the page is open it hears of every change at once
(`ChatService.subscribe`): a piece of a reply updates that bubble's text in place (nothing is redrawn), any other
change redraws the message list once. Text is always shown as text (labels, never HTML): nothing a reply says can
run in the browser.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable
from urllib.parse import quote

from nicegui import background_tasks, ui

from components.bidi import isolated, name_label
from components.chat_bubbles import agent_bubble, picture_bubble, safe_image_url, user_bubble
from components.error_box import error_box
from components.signed_out import signed_out_notice
from components.theme import frame
from pages.chat.media import picture_url
from runtime import runtime
from services.auth.sessions import Principal
from services.core.errors import UserFacingError
from services.core.i18n import N_, _, translate
from services.platform.errors import PlatformError
from services.studio.chat_events import ChatEvent, ChatRefused, chat_words
from services.studio.chat_store import AgentCard, Conversation, Message

HELLO = N_('Hello!')  # sent for the person on ?hello=1, in their language
SCROLL_EVERY = 0.15  # seconds: while a reply streams, the list follows it at most this often


def setup() -> None:
    ui.page('/agents/{agent_id}/chat')(chat_page)


def chat_url(agent_id: str, *, hello: bool = False) -> str:
    return f'/agents/{quote(agent_id, safe="")}/chat' + ('?hello=1' if hello else '')


async def chat_page(agent_id: str, hello: str = '') -> None:
    principal = runtime.auth.current_principal()
    with frame(_('Chat'), active='/agents'):
        if principal is None:
            signed_out_notice()
            return
        await ChatView(principal, agent_id, greet=hello == '1').build()


class ChatView:
    def __init__(self, principal: Principal, agent_id: str, *, greet: bool) -> None:
        self.principal = principal
        self.owner = principal.owner_id
        self.agent_id = agent_id
        self.greet = greet
        self.chat = runtime.chat
        self.pictures = runtime.chat_pictures
        self.client = ui.context.client
        self.conversation: Conversation | None = None
        self.messages: list[Message] = []
        self.open_error: PlatformError | UserFacingError | None = None
        self.reply_labels: dict[str, ui.label] = {}
        self.picture_clocks: list[tuple[ui.label, float]] = []
        self._reload_pending = False
        self._replaced = False
        self._scrolled_at = 0.0

    # --- layout -----------------------------------------------------------------------------------------

    async def build(self) -> None:
        self.conversation = await self.chat.store.active(self.owner, self.agent_id)
        if self.conversation is not None:
            self.messages = await self.chat.store.messages(self.conversation)
        subscription = self.chat.subscribe(self.owner, self.agent_id, self._heard)
        self.client.on_delete(subscription.close)
        # While the browser is away (a closed tab, a lost network) the page no longer keeps a reply going.
        self.client.on_disconnect(lambda: subscription.set_watching(False))
        self.client.on_connect(lambda: subscription.set_watching(True))
        self.header()
        with ui.card().classes('w-full p-0 gap-0 shadow-sm').props('flat bordered'):
            self.scroll = ui.scroll_area().classes('w-full h-[58vh] sm:h-[62vh] bg-white')
            with self.scroll:
                self.message_list()
            ui.separator()
            self.composer()
        ui.timer(1.0, self._tick_clocks)
        if self.conversation is None:
            background_tasks.create(self._open(), name='chat-open', context=self.client)
        else:
            background_tasks.create(self._after_open(), name='chat-card', context=self.client)

    @ui.refreshable_method
    def header(self) -> None:
        card = self._card()
        with ui.row().classes('w-full items-center justify-between gap-3 no-wrap'):
            with ui.row().classes('items-center gap-3 no-wrap min-w-0'):
                ui.button(icon='arrow_back', on_click=lambda: ui.navigate.to('/agents')) \
                    .props('flat round dense').tooltip(_('All agents'))
                cover = safe_image_url(card.cover_url)
                if cover:
                    ui.image(cover).classes('w-14 h-14 rounded-full shrink-0 bg-slate-100').props('fit=cover') \
                        .mark('chat-cover')
                else:
                    ui.icon('person', size='2.5rem').classes('text-slate-300')
                with ui.column().classes('gap-0 min-w-0'):
                    name_label(card.name).classes('text-xl sm:text-2xl font-bold truncate').mark('chat-agent-name')
                    ui.label(_('Your conversation, kept for you')).classes('text-xs text-slate-500')
            ui.button(_('New conversation'), icon='add_comment', on_click=self.new_conversation) \
                .props('outline no-caps').mark('chat-new')

    @ui.refreshable_method
    def message_list(self) -> None:
        self.reply_labels = {}
        self.picture_clocks = []
        card = self._card()
        avatar = safe_image_url(card.cover_url)
        with ui.column().classes('w-full gap-2 p-3 sm:p-4'):
            if self.open_error is not None:
                error_box(self._open_error_words(), getattr(self.open_error, 'trace_id', None),
                          title=_('The conversation could not be started'), action=(_('Try again'), self._open))
                return
            if self.conversation is None:
                with ui.row().classes('items-center gap-2 text-slate-500'):
                    ui.spinner()
                    ui.label(_('Starting the conversation…'))
                return
            if card.opening_line:
                agent_bubble(card.name, avatar, card.opening_line, reply=False).mark('chat-opening')
            elif not self.messages:
                ui.label(_('Say hello to {name}.').format(name=isolated(card.name))) \
                    .classes('text-sm text-slate-500 self-center py-6')
            for message in self.messages:
                self._draw(message, card, avatar)

    def _draw(self, message: Message, card: AgentCard, avatar: str | None) -> None:
        if message.role == 'user':
            user_bubble(message.text)
            return
        if message.role == 'picture':
            done = message.status == 'done'
            clock = picture_bubble(card.name, avatar, message, picture_url(self.owner, message.id) if done else None,
                                   picture_url(self.owner, message.id, full=True) if done else None,
                                   on_load=lambda: self._follow(force=True))
            if clock is not None:
                self.picture_clocks.append((clock, float(message.data.get('startedAt') or message.created_at)))
            if message.status in ('failed', 'interrupted', 'stopped'):
                error_box(translate(message.error) or _('The picture was not drawn.'), message.trace_id,
                          title=_('The picture could not be drawn'),
                          action=(_('Ask again'), functools.partial(self._ask_picture, message.text)))
            return
        live = self.chat.live(self.owner, message.conversation)
        here = live is not None and live.message.id == message.id
        text = live.message.text if here and live is not None else message.text
        # A reply another instance writes is 'streaming' in the table: shown as its last checkpoint, still going.
        streaming = here or message.status == 'streaming'
        self.reply_labels[message.id] = agent_bubble(card.name, avatar, text, streaming=streaming,
                                                     stopped=message.status == 'stopped')
        if message.status in ('failed', 'interrupted'):
            error_box(translate(message.error) or _('No reply arrived.'), message.trace_id,
                      title=_('The reply broke off') if message.text else _('The reply did not arrive'),
                      action=(_('Try again'), functools.partial(self.retry, message.id)))

    def composer(self) -> None:
        with ui.row().classes('w-full items-center no-wrap gap-2 p-3'):
            self.input = ui.input(placeholder=_('Write a message')).props('outlined dense maxlength=2000') \
                .classes('grow').mark('chat-input')
            self.input.on('keydown.enter', self.send)
            self.send_button = ui.button(icon='send', on_click=self.send) \
                .props(f'unelevated round aria-label="{_("Send")}"') \
                .tooltip(_('Send')).mark('chat-send')
            self.stop_button = ui.button(_('Stop'), icon='stop', on_click=self.stop) \
                .props('outline no-caps color=negative').mark('chat-stop')
            self.picture_button = ui.button(_('Picture'), icon='image', on_click=self.picture) \
                .props('outline no-caps').tooltip(_('Ask for a picture of what you wrote')).mark('chat-picture')
        self._update_controls()

    def _update_controls(self) -> None:
        ready = self.conversation is not None
        streaming = ready and self.conversation is not None and (
            self.chat.live(self.owner, self.conversation.id) is not None
            or any(m.role == 'agent' and m.status == 'streaming' for m in self.messages))
        self.send_button.set_enabled(ready and not streaming)
        self.picture_button.set_enabled(ready)
        self.stop_button.set_visibility(bool(streaming))
        self.input.set_enabled(ready)

    # --- actions ----------------------------------------------------------------------------------------

    async def send(self) -> None:
        text = (self.input.value or '').strip()
        if not text or self.conversation is None:
            return
        if await self._attempt(self.chat.send(self.principal, self.conversation, text)):
            self.input.value = ''

    async def retry(self, message_id: str) -> None:
        if self.conversation is not None:
            await self._attempt(self.chat.retry(self.principal, self.conversation, message_id))

    async def stop(self) -> None:
        if self.conversation is not None:
            await self._attempt(self.chat.stop_anywhere(self.conversation), 'stop the reply')

    async def picture(self) -> None:
        text = (self.input.value or '').strip()
        if text:
            if await self._ask_picture(text):
                self.input.value = ''
            return
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-md').mark('picture-dialog'):
            ui.label(_('A picture from {name}').format(name=isolated(self._card().name))) \
                .classes('text-lg font-semibold')
            prompt = ui.input(_('What should it show?'), placeholder=_('e.g. you at the beach at sunset')) \
                .props('outlined autofocus maxlength=2000').classes('w-full').mark('picture-prompt')

            async def draw() -> None:
                if (prompt.value or '').strip() and await self._ask_picture(prompt.value):
                    dialog.close()

            prompt.on('keydown.enter', draw)
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat no-caps')
                ui.button(_('Draw'), icon='brush', on_click=draw).props('unelevated no-caps').mark('picture-draw')
        dialog.on('hide', dialog.delete)
        dialog.open()

    async def _ask_picture(self, text: str) -> bool:
        if self.conversation is None:
            return False
        language = self._card().language or 'en'
        return await self._attempt(self.pictures.start(self.principal, self.conversation, text, language=language))

    async def new_conversation(self) -> None:
        await self._attempt(self.chat.new_conversation(self.principal, self.agent_id), 'start a new conversation')

    async def _attempt(self, action: Awaitable[object], what: str = 'do that') -> bool:
        """Run an action; what stops it is said in a notification, and the conversation stays as it was."""
        try:
            await action
        except ChatRefused as refused:
            ui.notify(refused.user_message, type='warning', multi_line=True)
            return False
        except PlatformError as error:
            ui.notify(chat_words(error, what), type='negative', multi_line=True)
            return False
        except UserFacingError as error:  # the database could not be used just now
            ui.notify(error.user_message, type='negative', multi_line=True)
            return False
        return True

    # --- opening and keeping up -------------------------------------------------------------------------

    async def _open(self) -> None:
        self.open_error = None
        if self.conversation is None:
            self.message_list.refresh()
        try:
            self.conversation = await self.chat.open(self.principal, self.agent_id)
            self.messages = await self.chat.store.messages(self.conversation)
        except (PlatformError, UserFacingError) as error:
            self.open_error = error
        self._redraw()
        if self.conversation is not None:
            await self._after_open()

    async def _after_open(self) -> None:
        if self.greet and self.conversation is not None and not any(m.role == 'user' for m in self.messages):
            self.greet = False
            try:
                await self.chat.send(self.principal, self.conversation, _(HELLO))
            except ChatRefused:
                pass  # another tab greeted first
        if self.conversation is not None:
            try:
                await self.chat.refresh_card(self.principal, self.conversation)
            except PlatformError:
                pass  # the card stored with the conversation is shown; the list is read again next time

    def _open_error_words(self) -> str:
        error = self.open_error
        if isinstance(error, PlatformError):
            return chat_words(error, 'start the conversation')
        return error.user_message if error is not None else ''

    def _heard(self, event: ChatEvent) -> None:
        """Called inside a reply or picture task: update in place, or schedule one redraw."""
        if self.client.is_deleted:
            return
        if event.kind == 'piece' and event.message_id in self.reply_labels:
            self.reply_labels[event.message_id].set_text(event.text)
            self._follow()
            return
        self._replaced = self._replaced or event.kind == 'replaced'
        if not self._reload_pending:
            self._reload_pending = True
            background_tasks.create(self._reload(), name='chat-changed', context=self.client)

    async def _reload(self) -> None:
        await asyncio.sleep(0)  # several changes in one turn of the loop make one redraw
        self._reload_pending = False
        try:
            if self._replaced or self.conversation is None:
                self._replaced = False
                self.conversation = await self.chat.store.active(self.owner, self.agent_id) or self.conversation
            if self.conversation is not None:
                self.messages = await self.chat.store.messages(self.conversation)
        except UserFacingError as error:
            ui.notify(error.user_message, type='negative')
            return
        self._redraw()

    def _redraw(self) -> None:
        self.header.refresh()
        self.message_list.refresh()
        self._update_controls()
        self._follow(force=True)

    def _follow(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._scrolled_at > SCROLL_EVERY:
            self._scrolled_at = now
            self.scroll.scroll_to(percent=1.0)

    def _tick_clocks(self) -> None:
        now = time.time()
        for label, started in self.picture_clocks:
            label.set_text(_('{seconds} s (usually 30-90 s)').format(seconds=int(now - started)))

    def _card(self) -> AgentCard:
        if self.conversation is not None:
            return self.conversation.agent
        return AgentCard(self.agent_id, _('Agent'))
