"""The agents page: the library of every custom agent on the key. Find (search, filters, sort), details on click,
'Make a variant', card downloads (one, a selection, or everything as a ZIP) and card import.

What is found, and how, is services.studio.library; the details dialog is pages/agents_details.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from nicegui import background_tasks, events, ui

from components.bidi import name_label
from components.error_box import error_box
from components.signed_out import signed_out_notice
from components.speedups import PAGE_BUILD_TIMEOUT
from components.theme import frame
from pages.agents_details import details_dialog
from pages.chat import chat_url
from runtime import runtime
from services.auth.sessions import Principal
from services.core.db import DatabaseUnavailable
from services.core.errors import UserFacingError
from services.platform.errors import PlatformError
from services.platform.models import AgentRecord
from services.studio.agents import PAGE_SIZES, created_text, main_attributes
from services.studio.cards import MAX_CARD_BYTES, read_card
from services.studio.library import UNKNOWN, Query, Result, default_maker
from services.studio.library_actions import cards_zip, start_draft
from services.studio.messages import describe

EVERYONE = 'everyone'
SORTS = {'newest': 'Newest', 'oldest': 'Oldest', 'name': 'Name'}


def setup() -> None:
    @ui.page('/agents', response_timeout=PAGE_BUILD_TIMEOUT)  # late rather than a 500 when busy
    async def agents_page() -> None:
        principal = runtime.auth.current_principal()
        with frame('Agents', active='/agents'):
            if principal is None:
                signed_out_notice()
                return
            try:
                draft = await runtime.drafts.load(principal.owner_id)  # for the language option labels are in
            except DatabaseUnavailable:
                language = 'en'  # the agents come from the platform; only the labels' language is a guess
            else:
                language = draft.options_language
            AgentsView(principal, language).build()


class AgentsView:
    def __init__(self, principal: Principal, language: str) -> None:
        self.principal = principal
        self.language = language
        self.query = Query()
        self.maker_choice: str | None = None  # None until the first result says whether 'Made by me' applies
        self.result: Result | None = None
        self.error: PlatformError | None = None
        self.loading = False
        self.page_number = 1
        self.page_size = PAGE_SIZES[0]
        self.selected: set[str] = set()
        self._choices: tuple[object, ...] | None = None  # what the find bar offers, redrawn when it changes

    def build(self) -> None:
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Agents').classes('text-2xl sm:text-3xl font-bold tracking-tight')
                self.count_label = ui.label('').classes('text-sm text-slate-500').mark('agents-count')
            with ui.row().classes('items-center gap-2'):
                ui.upload(label='Import a card', auto_upload=True, max_file_size=MAX_CARD_BYTES,
                          on_upload=self._import, on_rejected=lambda: ui.notify('That card is too big (over 20 MB).',
                                                                                type='warning')) \
                    .props('accept=".png,.json" flat bordered').classes('w-56').mark('import-card')
                ui.select({size: f'{size} per page' for size in PAGE_SIZES}, value=self.page_size,
                          on_change=self._size_changed).props('dense outlined options-dense') \
                    .classes('w-36').mark('page-size')
                ui.button('Refresh', icon='refresh', on_click=lambda: self.load(refresh=True)) \
                    .props('outline no-caps').mark('refresh')
                ui.button('New agent', icon='add', on_click=lambda: ui.navigate.to('/studio')) \
                    .props('unelevated no-caps')
        self.find_bar()
        self.listing()
        background_tasks.create(self.load(), name='agents-library')

    async def load(self, *, refresh: bool = False) -> None:
        self.loading = True
        self.listing.refresh()
        try:
            if self.maker_choice is None:  # the default view: 'Made by me' for someone who has made agents
                everyone = await runtime.library.find(self.principal, Query(), language=self.language,
                                                      refresh=refresh)
                makers = {f.agent.agentId: f.maker for f in everyone.items if f.maker}
                self.maker_choice = default_maker(self.principal, makers) or EVERYONE
                refresh = False
            self.query.maker = None if self.maker_choice == EVERYONE else self.maker_choice
            self.result = await runtime.library.find(self.principal, self.query, language=self.language,
                                                     refresh=refresh)
            self.error = None
        except PlatformError as error:
            self.error = error
        finally:
            self.loading = False
        self.page_number = 1
        choices = (tuple(self.result.makers.items()), tuple(self.result.voices)) if self.result else None
        if choices != self._choices:  # not on every search: a redrawn search box would lose the typing
            self._choices = choices
            self.find_bar.refresh()
        self.listing.refresh()

    @ui.refreshable_method
    def find_bar(self) -> None:
        query = self.query
        makers = {EVERYONE: 'Everyone on this key', self.principal.owner_id: 'Made by me'}
        if self.result:
            makers.update({k: v for k, v in self.result.makers.items() if k != self.principal.owner_id})
        makers[UNKNOWN] = 'Unknown (made elsewhere)'
        with ui.row().classes('w-full items-center gap-2'):
            ui.input(placeholder='Search by name', value=query.text,
                     on_change=lambda e: self._set(text=e.value or '')).props('dense outlined clearable debounce=300') \
                .classes('w-56').mark('search')
            ui.select(makers, value=self.maker_choice or EVERYONE, label='Made by',
                      on_change=lambda e: self._set_maker(e.value)).props('dense outlined').classes('w-48') \
                .mark('filter-maker')
            ui.select({'': 'Any gender', 'female': 'Female', 'male': 'Male'}, value=query.gender or '',
                      on_change=lambda e: self._set(gender=e.value or None)).props('dense outlined').classes('w-32')
            ui.select({'': 'Any language', 'en': 'English', 'zh': 'Chinese', 'ja': 'Japanese'},
                      value=query.language or '', on_change=lambda e: self._set(language=e.value or None)) \
                .props('dense outlined').classes('w-36')
            voices = self.result.voices if self.result else []
            ui.select({'': 'Any voice', **{v: v for v in voices}}, value=query.voice or '',
                      on_change=lambda e: self._set(voice=e.value or None)).props('dense outlined').classes('w-40')
            ui.select({'': 'Any time', '1': 'Last day', '7': 'Last 7 days', '30': 'Last 30 days'}, value='',
                      on_change=lambda e: self._set(created_from=datetime.now(UTC) - timedelta(days=int(e.value))
                                                    if e.value else None)).props('dense outlined').classes('w-36')
            ui.select(SORTS, value=query.sort, on_change=lambda e: self._set(sort=e.value)) \
                .props('dense outlined').classes('w-28').mark('sort')
            ui.button('Export selected', icon='archive', on_click=lambda: self._export(selected_only=True)) \
                .props('flat no-caps').mark('export-selected')
            ui.button('Export all', icon='archive', on_click=lambda: self._export(selected_only=False)) \
                .props('flat no-caps').mark('export-all')

    async def _set(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.query, name, value)
        await self.load()

    async def _set_maker(self, value: str) -> None:
        self.maker_choice = value
        await self.load()

    @ui.refreshable_method
    def listing(self) -> None:
        if self.error is not None:
            error_box(describe(self.error, 'list the agents'), self.error.trace_id,
                      title='Your agents could not be loaded', action=('Try again', self.load))
            return
        result = self.result
        if result is None:
            with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-4 w-full'):
                for _ in range(4):
                    ui.skeleton(type='rect', height='18rem').classes('rounded-xl')
            return
        count = len(result.items)
        self.count_label.set_text(f'{count} agent{"s" if count != 1 else ""}')
        if result.incomplete:
            ui.label(f'Only the newest {result.scanned} of {result.total} agents were searched, so this result may '
                     'be incomplete.').classes('text-sm text-amber-700').mark('incomplete')
        if not result.items:
            with ui.card().classes('w-full items-center text-center py-12 gap-3 shadow-none border '
                                   'border-dashed border-slate-300').props('flat').mark('agents-empty'):
                ui.icon('person_search', size='3.5rem', color='primary')
                ui.label('No agents match' if result.total else 'No agents yet').classes('text-xl font-semibold')
                if self.maker_choice != EVERYONE:
                    ui.button('Show everyone on this key', on_click=lambda: self._set_maker(EVERYONE)) \
                        .props('outline no-caps').mark('show-everyone')
                ui.button('Open the studio', icon='auto_awesome', on_click=lambda: ui.navigate.to('/studio')) \
                    .props('unelevated no-caps').mark('empty-to-studio')
            return
        pages = max(1, -(-count // self.page_size))
        shown = result.items[(self.page_number - 1) * self.page_size:self.page_number * self.page_size]
        with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-4 w-full ' +
                                       ('opacity-60' if self.loading else '')):
            for found in shown:
                self._card(found.agent, found.maker.display_name if found.maker else None)
        if pages > 1:
            with ui.row().classes('w-full justify-center'):
                ui.pagination(1, pages, value=self.page_number, direction_links=True,
                              on_change=self._page_changed).props('max-pages=7 boundary-numbers').mark('pagination')

    def _size_changed(self, event: Any) -> None:
        self.page_size, self.page_number = int(event.value), 1
        self.listing.refresh()

    def _page_changed(self, event: Any) -> None:
        if event.value:
            self.page_number = int(event.value)
            self.listing.refresh()

    def _card(self, record: AgentRecord, maker: str | None = None) -> None:
        with ui.card().classes('studio-tile p-0 gap-0 overflow-hidden cursor-pointer shadow-sm') \
                .props('flat bordered').on('click', lambda r=record: self._details(r)) \
                .mark(f'agent-{record.agentId}'):
            if record.coverUrl:
                ui.image(record.coverUrl).classes('w-full aspect-[3/4] bg-slate-100').props('fit=cover')
            else:
                with ui.element('div').classes('w-full aspect-[3/4] bg-slate-100 flex items-center justify-center'):
                    ui.icon('person', size='3rem').classes('text-slate-300')
            with ui.column().classes('p-3 gap-1 w-full'):
                with ui.row().classes('w-full items-center no-wrap gap-1'):
                    ui.checkbox(value=record.agentId in self.selected,
                                on_change=lambda e, a=record.agentId: self._select(a, e.value)) \
                        .props('dense').on('click.stop', lambda: None).mark('select-agent')
                    name_label(record.name).classes('font-semibold text-base truncate').mark('agent-name')
                with ui.row().classes('gap-1'):
                    for text in main_attributes(record)[:4]:
                        ui.label(text).classes('text-[11px] bg-violet-50 text-violet-800 rounded px-1.5 py-0.5')
                if maker:
                    ui.label(f'By {maker}').classes('text-xs text-slate-600').mark('agent-maker')
                created = created_text(record.createdAt)
                if created:
                    ui.label(created).classes('text-xs text-slate-500')
                # The wrapper stops the click there: the card's own click (the details) must not fire as well.
                with ui.element('div').classes('mt-1').on('click.stop', js_handler='() => {}'):
                    ui.button('Chat', icon='chat', on_click=lambda r=record: ui.navigate.to(chat_url(r.agentId))) \
                        .props('outline dense no-caps').mark('agent-chat')

    def _select(self, agent_id: str, on: bool) -> None:
        (self.selected.add if on else self.selected.discard)(agent_id)

    def _details(self, record: AgentRecord) -> None:
        found = next((f for f in (self.result.items if self.result else []) if f.agent.agentId == record.agentId),
                     None)
        details_dialog(record, found.maker if found else None, self._variant)

    async def _variant(self, record: AgentRecord) -> None:
        try:
            imported = await start_draft(self.principal, {}, drafts=runtime.drafts, cache=runtime.options,
                                         agent=record)
        except UserFacingError as error:
            ui.notify(error.user_message, type='negative')
            return
        runtime.recorder.derived_from[self.principal.owner_id] = record.agentId
        for note in imported.not_understood:
            ui.notify(note, type='warning', timeout=8000)
        ui.navigate.to('/studio')

    async def _import(self, event: events.UploadEventArguments) -> None:
        try:
            card = read_card(await event.file.read(), event.file.name)
            imported = await start_draft(self.principal, card, drafts=runtime.drafts, cache=runtime.options)
        except UserFacingError as error:
            ui.notify(error.user_message, type='negative', timeout=8000)
            return
        runtime.recorder.derived_from.pop(self.principal.owner_id, None)
        if imported.not_understood:
            ui.notify('Not understood from that card: ' + '; '.join(imported.not_understood[:8]), type='warning',
                      timeout=12000)
        ui.navigate.to('/studio')

    async def _export(self, *, selected_only: bool) -> None:
        if self.result is None:
            return
        chosen = [(f.agent, f.maker) for f in self.result.items if not selected_only or f.agent.agentId in
                  self.selected]
        if not chosen:
            ui.notify('Select agents first (the box on each card).', type='info')
            return
        ui.notify(f'Preparing {len(chosen)} cards…', type='ongoing', timeout=3000)
        async with httpx.AsyncClient(timeout=runtime.settings.timeout, follow_redirects=True) as http:
            data = await cards_zip(http, chosen)
        ui.download.content(data, 'agent-cards.zip', 'application/zip')
