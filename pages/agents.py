"""Every custom agent made with the key: newest first, paginated, details on click.

Always read fresh from the platform (no cache), so an agent created a moment ago is listed at once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from nicegui import background_tasks, ui

from components.error_box import error_box
from components.signed_out import signed_out_notice
from components.theme import frame
from runtime import runtime
from services.auth.sessions import Principal
from services.platform.errors import PlatformError
from services.platform.models import AgentListRequest, AgentPage, AgentRecord
from services.studio.messages import describe

PAGE_SIZES = (12, 24, 48)
# Shown on each card, in this order, when the record carries them.
CARD_FIELDS = ('gender', 'age', 'ethnicity', 'bodyType', 'hairColor', 'hairStyle')
FIELD_CATEGORIES = {'age': 'Age', 'ethnicity': 'Ethnicity', 'bodyType': 'BodyType', 'hairColor': 'HairColor',
                    'hairStyle': 'HairStyle', 'breastSize': 'BreastSize', 'buttSize': 'ButtSize',
                    'voiceId': 'Voice', 'personality': 'Personality', 'occupation': 'Occupation',
                    'relationship': 'Relationship', 'fetish': 'Fetish'}



def setup() -> None:
    ui.page('/agents')(agents_page)


def agents_page() -> None:
    principal = runtime.auth.current_principal()
    with frame('Agents', active='/agents'):
        if principal is None:
            signed_out_notice()
            return
        AgentsView(principal).build()


class AgentsView:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.language = runtime.drafts.get(principal.owner_id).options_language
        self.page_number = 1
        self.page_size = PAGE_SIZES[0]
        self.page: AgentPage | None = None
        self.error: PlatformError | None = None
        self.loading = False

    def build(self) -> None:
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Your agents').classes('text-2xl sm:text-3xl font-bold tracking-tight')
                self.count_label = ui.label('').classes('text-sm text-slate-500').mark('agents-count')
            with ui.row().classes('items-center gap-2'):
                ui.select({size: f'{size} per page' for size in PAGE_SIZES}, value=self.page_size,
                          on_change=self._size_changed).props('dense outlined options-dense') \
                    .classes('w-36').mark('page-size')
                ui.button('Refresh', icon='refresh', on_click=self.load).props('outline no-caps').mark('refresh')
                ui.button('New agent', icon='add', on_click=lambda: ui.navigate.to('/studio')) \
                    .props('unelevated no-caps')
        self.listing()
        background_tasks.create(self.load(), name='agents-list')

    async def load(self) -> None:
        self.loading = True
        self.listing.refresh()
        try:
            page = await runtime.platform.list_agents(
                self.principal.credentials,
                AgentListRequest(pageNumber=self.page_number, pageSize=self.page_size, language=self.language))
            page.records.sort(key=lambda r: str(r.createdAt or ''), reverse=True)
            self.page, self.error = page, None
        except PlatformError as error:
            self.error = error
        finally:
            self.loading = False
        total = self.page.total if self.page else 0
        self.count_label.set_text(f'{total} agent{"s" if total != 1 else ""}' if self.page else '')
        self.listing.refresh()

    async def _size_changed(self, event: Any) -> None:
        self.page_size = int(event.value)
        self.page_number = 1
        await self.load()

    async def _page_changed(self, event: Any) -> None:
        if event.value and int(event.value) != self.page_number:
            self.page_number = int(event.value)
            await self.load()

    @ui.refreshable_method
    def listing(self) -> None:
        if self.error is not None:
            error_box(describe(self.error, 'list your agents'), self.error.trace_id,
                      title='Your agents could not be loaded', action=('Try again', self.load))
            return
        if self.page is None:
            with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-4 w-full'):
                for _ in range(4):
                    ui.skeleton(type='rect', height='18rem').classes('rounded-xl')
            return
        if not self.page.records:
            with ui.card().classes('w-full items-center text-center py-12 gap-3 shadow-none border '
                                   'border-dashed border-slate-300').props('flat').mark('agents-empty'):
                ui.icon('person_add', size='3.5rem', color='primary')
                ui.label('No agents yet').classes('text-xl font-semibold')
                ui.label('Design a character in the studio: choose a look, generate a cover, give it a name.') \
                    .classes('text-sm text-slate-600')
                ui.button('Open the studio', icon='auto_awesome', on_click=lambda: ui.navigate.to('/studio')) \
                    .props('unelevated no-caps').mark('empty-to-studio')
            return
        with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-4 w-full ' +
                                       ('opacity-60' if self.loading else '')):
            for record in self.page.records:
                self._card(record)
        pages = max(1, -(-self.page.total // self.page_size))
        if pages > 1:
            with ui.row().classes('w-full justify-center'):
                ui.pagination(1, pages, value=self.page_number, direction_links=True,
                              on_change=self._page_changed).props('max-pages=7 boundary-numbers').mark('pagination')

    def _card(self, record: AgentRecord) -> None:
        with ui.card().classes('studio-tile p-0 gap-0 overflow-hidden cursor-pointer shadow-sm') \
                .props('flat bordered').on('click', lambda r=record: self._details(r)) \
                .mark(f'agent-{record.agentId}'):
            if record.coverUrl:
                ui.image(record.coverUrl).classes('w-full aspect-[3/4] bg-slate-100').props('fit=cover')
            else:
                with ui.element('div').classes('w-full aspect-[3/4] bg-slate-100 flex items-center justify-center'):
                    ui.icon('person', size='3rem').classes('text-slate-300')
            with ui.column().classes('p-3 gap-1 w-full'):
                ui.label(record.name).classes('font-semibold text-base truncate w-full').mark('agent-name')
                with ui.row().classes('gap-1'):
                    for text in _main_attributes(record)[:4]:
                        ui.label(text).classes('text-[11px] bg-violet-50 text-violet-800 rounded px-1.5 py-0.5')
                created = _when(record.createdAt)
                if created:
                    ui.label(created).classes('text-xs text-slate-500')

    def _details(self, record: AgentRecord) -> None:
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl p-0 gap-0').mark('agent-details'):
            with ui.row().classes('w-full no-wrap gap-4 p-4 items-start'):
                if record.coverUrl:
                    ui.image(record.coverUrl).classes('w-28 sm:w-40 rounded-lg shrink-0').props('fit=contain')
                with ui.column().classes('gap-1 min-w-0 grow'):
                    ui.label(record.name).classes('text-2xl font-bold')
                    ui.label(', '.join(_main_attributes(record))).classes('text-sm text-slate-600')
                    opening = (record.model_extra or {}).get('openingLine')
                    if isinstance(opening, str) and opening:
                        ui.label(f'“{opening}”').classes('text-sm italic text-slate-700 mt-2')
                ui.button(icon='close', on_click=dialog.close).props('flat round dense')
            ui.separator()
            with ui.scroll_area().classes('w-full h-[50vh] sm:h-80'):
                with ui.element('div').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm px-4 py-3'):
                    for key, value in _all_fields(record):
                        ui.label(key).classes('text-slate-500')
                        with ui.row().classes('items-center gap-1 no-wrap min-w-0'):
                            ui.label(value).classes('break-all font-mono text-xs' if key in ('agentId', 'coverUrl')
                                                    else 'break-words')
                            if key in ('agentId', 'coverUrl'):
                                ui.button(icon='content_copy', on_click=lambda v=value: _copy(v)) \
                                    .props('flat dense round size=xs')
        dialog.on('hide', dialog.delete)
        dialog.open()


def _main_attributes(record: AgentRecord) -> list[str]:
    extra = record.model_extra or {}
    labels = extra.get('labels') if isinstance(extra.get('labels'), dict) else {}
    found = []
    for field in CARD_FIELDS:
        value = record.gender if field == 'gender' else extra.get(field)
        if not value:
            continue
        category = FIELD_CATEGORIES.get(field)
        text = labels.get(category) if category else None
        found.append(str(text or value).replace('_', ' ').capitalize() if field == 'gender' else str(text or value))
    return found


def _all_fields(record: AgentRecord) -> list[tuple[str, str]]:
    rows = [('agentId', record.agentId), ('name', record.name)]
    if record.coverUrl:
        rows.append(('coverUrl', record.coverUrl))
    if record.gender:
        rows.append(('gender', record.gender))
    if record.createdAt:
        rows.append(('createdAt', str(record.createdAt)))
    for key, value in (record.model_extra or {}).items():
        if value in (None, '', [], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((key, text))
    return rows


def _when(value: str | int | None) -> str:
    if value is None or value == '':
        return ''
    try:
        if isinstance(value, int) or str(value).isdigit():
            number = int(value)
            moment = datetime.fromtimestamp(number / 1000 if number > 10**11 else number)
        else:
            moment = datetime.fromisoformat(str(value).replace('Z', '+00:00')).astimezone()
    except (ValueError, OverflowError, OSError):
        return str(value)
    return 'Created ' + moment.strftime('%d %b %Y, %H:%M')


async def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify('Copied', type='positive', timeout=1200)
