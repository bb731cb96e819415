"""The agents page: the library of every custom agent on the key. Find (search, filters, sort), details on click,
'Make a variant', card downloads (one, a selection, or everything as a ZIP) and card import.

What is found, and how, is services.studio.library; the details dialog is pages/agents_details.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from nicegui import background_tasks, events, ui

from components.bidi import name_label
from components.error_box import error_box
from components.file_button import file_button
from components.signed_out import signed_out_notice
from components.speedups import PAGE_BUILD_TIMEOUT
from components.theme import frame
from pages.agents_details import details_dialog
from pages.chat import chat_url
from runtime import runtime
from services.auth.sessions import Principal
from services.core.db import DatabaseUnavailable
from services.core.errors import UserFacingError
from services.core.i18n import N_, _, format_number, ngettext
from services.platform.errors import PlatformError
from services.platform.models import AgentRecord
from services.studio.agents import PAGE_SIZES, created_text, main_attributes
from services.studio.cards import MAX_CARD_BYTES
from services.studio.library import UNKNOWN, Query, Result, default_maker
from services.studio.library_actions import cards_zip, read_card_file, start_draft
from services.studio.messages import describe

EVERYONE = 'everyone'
SORTS = {'newest': N_('Newest'), 'oldest': N_('Oldest'), 'name': N_('Name')}
CUSTOM = 'custom'
PERIODS = {'': N_('Any time'), '1': N_('Last day'), '7': N_('Last 7 days'), '30': N_('Last 30 days'),
           CUSTOM: N_('From … to …')}


def day_range(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """The custom period's bounds from two YYYY-MM-DD fields (either may be empty): from the start of the first
    day to the end of the last, in UTC. ValueError, with words for a person, for a date that is not one or a
    range that ends before it starts."""
    def parse(text: str | None, which: str) -> date | None:
        text = (text or '').strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(_('The {which} date "{text}" is not a date (use YYYY-MM-DD).').format(
                which=_(which), text=text)) from None

    first, last = parse(start, N_('From')), parse(end, N_('To'))
    if first and last and last < first:
        raise ValueError(_('The period ends before it starts: choose a To date on or after the From date.'))
    return (datetime.combine(first, time.min, UTC) if first else None,
            datetime.combine(last, time.max, UTC) if last else None)


def setup() -> None:
    @ui.page('/agents', response_timeout=PAGE_BUILD_TIMEOUT)  # late rather than a 500 when busy
    async def agents_page() -> None:
        principal = runtime.auth.current_principal()
        with frame(_('Agents'), active='/agents'):
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
        self.period = ''  # a key of PERIODS
        self.range_text: tuple[str, str] = ('', '')  # the custom period's From and To as typed (YYYY-MM-DD)
        self._choices: tuple[object, ...] | None = None  # what the find bar offers, redrawn when it changes

    def build(self) -> None:
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label(_('Agents')).classes('text-2xl sm:text-3xl font-bold tracking-tight')
                self.count_label = ui.label('').classes('text-sm text-slate-500').mark('agents-count')
            with ui.row().classes('items-center gap-2'):
                file_button(_('Import a card'), icon='upload_file', accept='.png,.json,image/png,application/json',
                            max_bytes=MAX_CARD_BYTES, on_file=self._import,
                            too_big=_('That card is too big (over 20 MB).')).mark('import-card') \
                    .tooltip(_('Start a new character from a character card (PNG or JSON)'))
                ui.select({size: _('{count} per page').format(count=size) for size in PAGE_SIZES}, value=self.page_size,
                          on_change=self._size_changed).props('dense outlined options-dense') \
                    .classes('w-40').mark('page-size')
                ui.button(_('Refresh'), icon='refresh', on_click=lambda: self.load(refresh=True)) \
                    .props('outline no-caps').mark('refresh')
                ui.button(_('New agent'), icon='add', on_click=lambda: ui.navigate.to('/studio')) \
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
        makers = {EVERYONE: _('Everyone on this key'), self.principal.owner_id: _('Made by me')}
        if self.result:
            makers.update({k: v for k, v in self.result.makers.items() if k != self.principal.owner_id})
        makers[UNKNOWN] = _('Unknown (made elsewhere)')
        with ui.row().classes('w-full items-center gap-2'):
            ui.input(placeholder=_('Search by name'), value=query.text,
                     on_change=lambda e: self._set(text=e.value or '')).props('dense outlined clearable debounce=300') \
                .classes('w-56').mark('search')
            ui.select(makers, value=self.maker_choice or EVERYONE, label=_('Made by'),
                      on_change=lambda e: self._set_maker(e.value)).props('dense outlined').classes('w-48') \
                .mark('filter-maker')
            ui.select({'': _('Any gender'), 'female': _('Female'), 'male': _('Male')}, value=query.gender or '',
                      on_change=lambda e: self._set(gender=e.value or None)).props('dense outlined').classes('w-36')
            ui.select({'': _('Any language'), 'en': _('English'), 'zh': _('Chinese'), 'ja': _('Japanese')},
                      value=query.language or '', on_change=lambda e: self._set(language=e.value or None)) \
                .props('dense outlined').classes('w-36')
            voices = self.result.voices if self.result else []
            ui.select({'': _('Any voice'), **{v: v for v in voices}}, value=query.voice or '',
                      on_change=lambda e: self._set(voice=e.value or None)).props('dense outlined').classes('w-40')
            ui.select({key: _(label) for key, label in PERIODS.items()}, value=self.period,
                      on_change=lambda e: self._set_period(e.value or '')) \
                .props('dense outlined').classes('w-36').mark('filter-period')
            if self.period == CUSTOM:
                self._range_fields()
            ui.select({key: _(label) for key, label in SORTS.items()}, value=query.sort,
                      on_change=lambda e: self._set(sort=e.value)) \
                .props('dense outlined').classes('w-28').mark('sort')
            ui.button(_('Export selected'), icon='archive', on_click=lambda: self._export(selected_only=True)) \
                .props('flat no-caps').mark('export-selected')
            ui.button(_('Export all'), icon='archive', on_click=lambda: self._export(selected_only=False)) \
                .props('flat no-caps').mark('export-all')

    async def _set(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.query, name, value)
        await self.load()

    async def _set_period(self, value: str) -> None:
        self.period = value
        if value == CUSTOM:
            self.find_bar.refresh()  # shows the From and To fields; the list changes once a date is given
            await self._apply_range()
            return
        self.find_bar.refresh()
        await self._set(created_from=datetime.now(UTC) - timedelta(days=int(value)) if value else None,
                        created_to=None)

    def _range_fields(self) -> None:
        start, end = self.range_text
        with ui.row().classes('items-center gap-1 no-wrap').mark('custom-period'):
            self.range_from = ui.input(_('From'), value=start, on_change=self._range_changed) \
                .props('dense outlined type=date stack-label').classes('w-40').mark('period-from')
            self.range_to = ui.input(_('To'), value=end, on_change=self._range_changed) \
                .props('dense outlined type=date stack-label').classes('w-40').mark('period-to')

    async def _range_changed(self) -> None:
        self.range_text = (self.range_from.value or '', self.range_to.value or '')
        await self._apply_range()

    async def _apply_range(self) -> None:
        try:
            start, end = day_range(*self.range_text)
        except ValueError as error:
            # The list stays as it was: nothing is filtered by a period that is not one.
            ui.notify(str(error), type='warning')
            return
        await self._set(created_from=start, created_to=end)

    async def _set_maker(self, value: str) -> None:
        self.maker_choice = value
        await self.load()

    @ui.refreshable_method
    def listing(self) -> None:
        if self.error is not None:
            error_box(describe(self.error, 'list the agents'), self.error.trace_id,
                      title=_('Your agents could not be loaded'), action=(_('Try again'), self.load))
            return
        result = self.result
        if result is None:
            with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-4 w-full'):
                for _slot in range(4):
                    ui.skeleton(type='rect', height='18rem').classes('rounded-xl')
            return
        count = len(result.items)
        self.count_label.set_text(ngettext('{count} agent', '{count} agents', count).format(count=format_number(count)))
        if result.incomplete:
            ui.label(_('Only the newest {scanned} of {total} agents were searched, so this result may be '
                       'incomplete.').format(scanned=result.scanned, total=result.total)) \
                           .classes('text-sm text-amber-700').mark('incomplete')
        if not result.items:
            with ui.card().classes('w-full items-center text-center py-12 gap-3 shadow-none border '
                                   'border-dashed border-slate-300').props('flat').mark('agents-empty'):
                ui.icon('person_search', size='3.5rem', color='primary')
                ui.label(_('No agents match') if result.total else _('No agents yet')).classes('text-xl font-semibold')
                if self.maker_choice != EVERYONE:
                    ui.button(_('Show everyone on this key'), on_click=lambda: self._set_maker(EVERYONE)) \
                        .props('outline no-caps').mark('show-everyone')
                ui.button(_('Open the studio'), icon='auto_awesome', on_click=lambda: ui.navigate.to('/studio')) \
                    .props('unelevated no-caps').mark('empty-to-studio')
            return
        pages = max(1, -(-count // self.page_size))
        shown = result.items[(self.page_number - 1) * self.page_size:self.page_number * self.page_size]
        with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-4 w-full ' +
                                       ('opacity-60' if self.loading else '')):
            for found in shown:
                self._card(found.agent, found.maker.display_name if found.maker else None,
                           found.maker.derived_from if found.maker else None)
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

    def _origin(self, agent_id: str) -> str:
        """The name of the agent a variant was made from, as this key's list knows it (its id if gone)."""
        known = self.result.agent_names.get(agent_id) if self.result else None
        return known or agent_id

    def _card(self, record: AgentRecord, maker: str | None = None, derived_from: str | None = None) -> None:
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
                    ui.label(_('By {name}').format(name=maker)).classes('text-xs text-slate-600').mark('agent-maker')
                if derived_from:
                    ui.label(_('Variant of {name}').format(name=self._origin(derived_from))) \
                        .classes('text-xs text-slate-600 truncate').mark('agent-origin')
                created = created_text(record.createdAt)
                if created:
                    ui.label(created).classes('text-xs text-slate-500')
                # The wrapper stops the click there: the card's own click (the details) must not fire as well.
                with ui.element('div').classes('mt-1').on('click.stop', js_handler='() => {}'):
                    ui.button(_('Chat'), icon='chat', on_click=lambda r=record: ui.navigate.to(chat_url(r.agentId))) \
                        .props('outline dense no-caps').mark('agent-chat')

    def _select(self, agent_id: str, on: bool) -> None:
        (self.selected.add if on else self.selected.discard)(agent_id)

    def _details(self, record: AgentRecord) -> None:
        found = next((f for f in (self.result.items if self.result else []) if f.agent.agentId == record.agentId),
                     None)
        maker = found.maker if found else None
        origin = self._origin(maker.derived_from) if maker and maker.derived_from else None
        details_dialog(record, maker, self._variant, origin=origin)

    async def _variant(self, record: AgentRecord) -> None:
        if not await self._may_replace_draft():
            return
        try:
            imported = await start_draft(self.principal, {}, drafts=runtime.drafts, cache=runtime.options,
                                         agent=record)
        except UserFacingError as error:
            ui.notify(error.user_message, type='negative')
            return
        self._to_studio(_('A variant of {name}').format(name=record.name), imported.not_understood)

    async def _import(self, event: events.UploadEventArguments) -> None:
        try:
            card = await read_card_file(await event.file.read(), event.file.name)
        except UserFacingError as error:
            ui.notify(error.user_message, type='negative', timeout=8000)
            return
        if not await self._may_replace_draft():
            return
        try:
            imported = await start_draft(self.principal, card, drafts=runtime.drafts, cache=runtime.options)
        except UserFacingError as error:
            ui.notify(error.user_message, type='negative', timeout=8000)
            return
        self._to_studio(_('{name} is in the studio').format(name=imported.name or _('The card')),
                        imported.not_understood, title=_('Not understood from that card'))

    async def _may_replace_draft(self) -> bool:
        """Starting from an agent or a card replaces the character being built: asked first, never silently."""
        try:
            draft = await runtime.drafts.load(self.principal.owner_id)
        except DatabaseUnavailable as unavailable:
            ui.notify(unavailable.user_message, type='negative')
            return False
        if draft.gender is None and not draft.name.strip():
            return True  # nothing chosen yet (or the last character was created): nothing to lose
        name = draft.name.strip() or _('the character you are building')
        with ui.dialog() as dialog, ui.card().classes('max-w-md').mark('replace-draft'):
            ui.label(_('Replace {name}?').format(name=name)).classes('text-lg font-semibold')
            ui.label(_('The studio holds one character at a time; its choices so far would be replaced.')) \
                .classes('text-sm text-slate-600')
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Keep it'), on_click=lambda: dialog.submit(False)).props('flat no-caps')
                ui.button(_('Replace'), on_click=lambda: dialog.submit(True)).props('unelevated no-caps') \
                    .mark('replace-draft-confirm')
        try:
            return bool(await dialog)  # None when closed otherwise (Escape, a click beside it): kept
        finally:
            dialog.delete()

    def _to_studio(self, heading: str, notes: list[str], *, title: str | None = None) -> None:
        """To the studio; what did not come over is shown first, here, where it can be read (a notification
        would vanish with this page)."""
        if not notes:
            ui.navigate.to('/studio')
            return
        with ui.dialog().props('persistent') as dialog, ui.card().classes('max-w-lg').mark('import-notes'):
            ui.label(heading).classes('text-lg font-semibold')
            ui.label(title or _('Left out')).classes('text-sm font-medium text-amber-800')
            with ui.column().classes('gap-0 text-sm'):
                for note in notes[:20]:
                    ui.label(f'• {note}')
                if len(notes) > 20:
                    ui.label(_('… and {count} more').format(count=len(notes) - 20))
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Open the studio'), icon='arrow_forward', on_click=lambda: ui.navigate.to('/studio')) \
                    .props('unelevated no-caps').mark('import-notes-continue')
        dialog.open()

    async def _export(self, *, selected_only: bool) -> None:
        if self.result is None:
            return
        chosen = [(f.agent, f.maker) for f in self.result.items if not selected_only or f.agent.agentId in
                  self.selected]
        if not chosen:
            ui.notify(_('Select agents first (the box on each card).'), type='info')
            return
        ui.notify(ngettext('Preparing {count} card…', 'Preparing {count} cards…', len(chosen))
            .format(count=len(chosen)),
                  type='ongoing', timeout=3000)
        async with httpx.AsyncClient(timeout=runtime.settings.timeout, follow_redirects=True) as http:
            data = await cards_zip(http, chosen)
        ui.download.content(data, 'agent-cards.zip', 'application/zip')
