"""The agents page: every custom agent made with the key, newest first, paginated, details on click.

What is listed, and how a record reads, is services.studio.agents; this module draws it.
"""

from __future__ import annotations

from typing import Any

from nicegui import background_tasks, ui

from components.error_box import error_box
from components.signed_out import signed_out_notice
from components.theme import frame
from runtime import runtime
from services.auth.sessions import Principal
from services.platform.models import AgentRecord
from services.studio.agents import PAGE_SIZES, AgentList, all_fields, created_text, main_attributes
from services.studio.messages import describe


def setup() -> None:
    @ui.page('/agents')
    def agents_page() -> None:
        principal = runtime.auth.current_principal()
        with frame('Agents', active='/agents'):
            if principal is None:
                signed_out_notice()
                return
            AgentsView(principal).build()


class AgentsView:
    def __init__(self, principal: Principal) -> None:
        language = runtime.drafts.get(principal.owner_id).options_language
        self.agents = AgentList(principal, platform=runtime.platform, language=language, on_change=self._changed)

    def build(self) -> None:
        agents = self.agents
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Your agents').classes('text-2xl sm:text-3xl font-bold tracking-tight')
                self.count_label = ui.label('').classes('text-sm text-slate-500').mark('agents-count')
            with ui.row().classes('items-center gap-2'):
                ui.select({size: f'{size} per page' for size in PAGE_SIZES}, value=agents.page_size,
                          on_change=self._size_changed).props('dense outlined options-dense') \
                    .classes('w-36').mark('page-size')
                ui.button('Refresh', icon='refresh', on_click=agents.load).props('outline no-caps').mark('refresh')
                ui.button('New agent', icon='add', on_click=lambda: ui.navigate.to('/studio')) \
                    .props('unelevated no-caps')
        self.listing()
        background_tasks.create(agents.load(), name='agents-list')

    def _changed(self) -> None:
        agents = self.agents
        total = agents.total
        self.count_label.set_text(f'{total} agent{"s" if total != 1 else ""}' if agents.page else '')
        self.listing.refresh()

    async def _size_changed(self, event: Any) -> None:
        await self.agents.show_per_page(int(event.value))

    async def _page_changed(self, event: Any) -> None:
        if event.value:
            await self.agents.show_page(int(event.value))

    @ui.refreshable_method
    def listing(self) -> None:
        agents = self.agents
        if agents.error is not None:
            error_box(describe(agents.error, 'list your agents'), agents.error.trace_id,
                      title='Your agents could not be loaded', action=('Try again', agents.load))
            return
        if agents.page is None:
            with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-4 w-full'):
                for _ in range(4):
                    ui.skeleton(type='rect', height='18rem').classes('rounded-xl')
            return
        if not agents.page.records:
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
                                       ('opacity-60' if agents.loading else '')):
            for record in agents.page.records:
                self._card(record)
        if agents.page_count > 1:
            with ui.row().classes('w-full justify-center'):
                ui.pagination(1, agents.page_count, value=agents.page_number, direction_links=True,
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
                    for text in main_attributes(record)[:4]:
                        ui.label(text).classes('text-[11px] bg-violet-50 text-violet-800 rounded px-1.5 py-0.5')
                created = created_text(record.createdAt)
                if created:
                    ui.label(created).classes('text-xs text-slate-500')

    def _details(self, record: AgentRecord) -> None:
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl p-0 gap-0').mark('agent-details'):
            with ui.row().classes('w-full no-wrap gap-4 p-4 items-start'):
                if record.coverUrl:
                    ui.image(record.coverUrl).classes('w-28 sm:w-40 rounded-lg shrink-0').props('fit=contain')
                with ui.column().classes('gap-1 min-w-0 grow'):
                    ui.label(record.name).classes('text-2xl font-bold')
                    ui.label(', '.join(main_attributes(record))).classes('text-sm text-slate-600')
                    opening = (record.model_extra or {}).get('openingLine')
                    if isinstance(opening, str) and opening:
                        ui.label(f'“{opening}”').classes('text-sm italic text-slate-700 mt-2')
                ui.button(icon='close', on_click=dialog.close).props('flat round dense')
            ui.separator()
            with ui.scroll_area().classes('w-full h-[50vh] sm:h-80'):
                with ui.element('div').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm px-4 py-3'):
                    for key, value in all_fields(record):
                        ui.label(key).classes('text-slate-500')
                        with ui.row().classes('items-center gap-1 no-wrap min-w-0'):
                            ui.label(value).classes('break-all font-mono text-xs' if key in ('agentId', 'coverUrl')
                                                    else 'break-words')
                            if key in ('agentId', 'coverUrl'):
                                ui.button(icon='content_copy', on_click=lambda v=value: _copy(v)) \
                                    .props('flat dense round size=xs')
        dialog.on('hide', dialog.delete)
        dialog.open()


async def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify('Copied', type='positive', timeout=1200)
