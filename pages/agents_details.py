"""The agent details dialog for people: the cover large, the name, the opening line, the look and details in their
labels, downloads of its character card, 'Make a variant', and the technical fields under 'For integrators'."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from nicegui import ui

from components.bidi import name_label
from pages.chat import chat_url
from runtime import runtime
from services.core.i18n import _
from services.platform.models import AgentRecord
from services.studio import catalogue
from services.studio.agents import all_fields, created_text
from services.studio.cards import codes_of
from services.studio.library import Maker
from services.studio.library_actions import card_files, filename, json_card


def look_rows(record: AgentRecord) -> list[tuple[str, str]]:
    """(title, label) of each look and detail choice, in the language the list was read in."""
    extra = record.model_extra or {}
    labels = extra.get('labels') if isinstance(extra.get('labels'), dict) else {}
    assert isinstance(labels, dict)
    return [(catalogue.title(code), str(labels.get(code) or value)) for code, value in codes_of(record).items()]


def details_dialog(record: AgentRecord, maker: Maker | None,
                   on_variant: Callable[[AgentRecord], Awaitable[None]], *, origin: str | None = None) -> None:
    """`origin`: the name (or id) of the agent this one is a variant of, when Agent Studio made it as one."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-3xl p-0 gap-0').mark('agent-details'):
        with ui.row().classes('w-full gap-4 p-4 items-start'):
            if record.coverUrl:
                ui.image(record.coverUrl).classes('w-full sm:w-72 rounded-lg shrink-0').props('fit=contain') \
                    .mark('details-cover')
            with ui.column().classes('gap-2 min-w-0 grow'):
                with ui.row().classes('w-full items-start justify-between no-wrap'):
                    name_label(record.name).classes('text-2xl font-bold')
                    ui.button(icon='close', on_click=dialog.close).props('flat round dense')
                ui.label(_('Made by {name}').format(name=maker.display_name) if maker else
                         _('Made by: unknown (not in Agent Studio)')) \
                    .classes('text-sm text-slate-500').mark('details-maker')
                if origin:
                    ui.label(f'Variant of {origin}').classes('text-sm text-slate-500').mark('details-origin')
                created = created_text(record.createdAt)
                if created:
                    ui.label(created).classes('text-xs text-slate-500')
                opening = (record.model_extra or {}).get('openingLine')
                if isinstance(opening, str) and opening:
                    ui.label(_('“{line}”').format(line=opening)).classes('text-sm italic text-slate-700')
                with ui.element('div').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm'):
                    for title, text in look_rows(record):
                        ui.label(title).classes('text-slate-500')
                        ui.label(text)
                with ui.row().classes('gap-2 mt-2'):
                    ui.button(_('Chat'), icon='chat', on_click=lambda: ui.navigate.to(chat_url(record.agentId))) \
                        .props('unelevated no-caps').mark('details-chat')
                    ui.button(_('Make a variant'), icon='content_copy',
                              on_click=lambda: on_variant(record)).props('outline no-caps').mark('make-variant')
                    ui.button(_('Card (PNG)'), icon='download', on_click=lambda: _download(record, maker, 'png')) \
                        .props('outline no-caps').mark('download-png')
                    ui.button(_('Card (JSON)'), icon='data_object',
                              on_click=lambda: _download(record, maker, 'json')).props('outline no-caps') \
                        .mark('download-json')
        with ui.expansion(_('For integrators'), icon='code').classes('w-full').mark('integrators'):
            with ui.element('div').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm px-4 pb-3'):
                for key, value in all_fields(record):
                    ui.label(key).classes('text-slate-500')
                    with ui.row().classes('items-center gap-1 no-wrap min-w-0'):
                        ui.label(value).classes('break-all font-mono text-xs')
                        ui.button(icon='content_copy', on_click=lambda v=value: _copy(v)) \
                            .props('flat dense round size=xs')
    dialog.on('hide', dialog.delete)
    dialog.open()


async def _download(record: AgentRecord, maker: Maker | None, kind: str) -> None:
    if kind == 'json':
        ui.download.content(await json_card(record, maker), filename(record, '.json'), 'application/json')
        return
    async with httpx.AsyncClient(timeout=runtime.settings.timeout, follow_redirects=True) as http:
        png, _json = await card_files(http, record, maker)
    ui.download.content(png, filename(record, '.png'), 'image/png')


async def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify(_('Copied'), type='positive', timeout=1200)
