"""An upstream error in plain words, with the platform's traceId one click away for a support request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from nicegui import ui

from services.core.i18n import _


def error_box(message: str, trace_id: str | None = None, *, title: str | None = None,
              action: tuple[str, Callable[[], object]] | None = None, kind: str = 'negative') -> ui.card:
    """`title` and `action`'s label are translated by the caller; the default title is worded here."""
    colours = {'negative': ('bg-red-50 border-red-200', 'error', 'negative'),
               'warning': ('bg-amber-50 border-amber-200', 'warning', 'warning')}[kind]
    with ui.card().classes(f'w-full border {colours[0]} shadow-none').props('flat').mark('error-box') as card:
        with ui.row().classes('w-full items-start no-wrap gap-3'):
            ui.icon(colours[1], color=colours[2]).classes('text-2xl shrink-0')
            with ui.column().classes('gap-1 grow min-w-0'):
                ui.label(title or _('Something went wrong')).classes('font-semibold')
                ui.label(message).classes('text-sm text-slate-700 break-words').mark('error-message')
                if trace_id or kind == 'negative':
                    # In a new tab, so the studio and whatever is running in it stay where they are.
                    ui.link(_('See the request') if trace_id else _('See your recent failed requests'),
                            request_link(trace_id), new_tab=True).classes('text-xs').mark('error-request-link')
                if trace_id:
                    with ui.expansion(_('Details for support'), icon='support_agent').classes('text-sm w-full') \
                            .props('dense header-class="px-0 text-slate-600"'):
                        with ui.row().classes('items-center gap-2 no-wrap'):
                            ui.label('traceId').classes('text-xs text-slate-500')
                            ui.label(trace_id).classes('font-mono text-xs break-all').mark('trace-id')
                            ui.button(icon='content_copy', on_click=lambda: _copy(trace_id)) \
                                .props('flat dense round size=sm').tooltip(_('Copy the traceId'))
            if action is not None:
                ui.button(action[0], on_click=action[1]).props('outline no-caps').classes('shrink-0') \
                    .mark('error-action')
    return card


def request_link(trace_id: str | None) -> str:
    """The request inspector's page of the request with this traceId; without one, the person's recent failures."""
    return f'/requests/trace/{quote(trace_id, safe="")}' if trace_id else '/requests?status=error'


async def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify(_('traceId copied'), type='positive', timeout=1500)
