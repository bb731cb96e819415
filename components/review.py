"""The review before creating (every choice, by step, with the cover) and the smaller preview the Details step shows.

They differ on purpose: the Details step already shows its own fields, so beside them it shows only what the
character looks like; the full review is the Create step's.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from services.studio.rules import NONE_CHOSEN

ReviewGroup = tuple[str, str, list[tuple[str, str]]]  # (step, step title, [(title, value)])


def _cover(cover_url: str | None, size: str, *, expired: bool) -> None:
    if cover_url:
        ui.image(cover_url).classes(f'{size} shrink-0 rounded-lg ' + ('grayscale opacity-60' if expired else '')) \
            .props('fit=contain')
    else:
        with ui.element('div').classes(f'{size} aspect-[3/4] shrink-0 rounded-lg bg-slate-100 flex items-center '
                                       'justify-center'):
            ui.icon('image', size='2rem').classes('text-slate-300')


def _note(note: str | None) -> None:
    if note:
        with ui.row().classes('items-start gap-2 no-wrap text-xs text-amber-800'):
            ui.icon('info').classes('text-base')
            ui.label(note)


def _group(step: str, title: str, rows: list[tuple[str, str]], *, on_edit: Callable[[str], object] | None) -> None:
    with ui.column().classes('gap-1 w-full').mark(f'review-{step}'):
        with ui.row().classes('w-full items-center justify-between no-wrap'):
            ui.label(title).classes('text-xs font-semibold uppercase tracking-wide text-slate-500')
            if on_edit is not None:
                ui.button('Edit', icon='edit', on_click=lambda: on_edit(step)) \
                    .props('flat dense no-caps size=sm').mark(f'review-edit-{step}')
        with ui.element('div').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm min-w-0 w-full'):
            for name, value in rows:
                ui.label(name).classes('text-slate-500')
                ui.label(value).classes('font-medium break-words ' + ('text-slate-400' if value == NONE_CHOSEN else ''))


def review_summary(groups: list[ReviewGroup], cover_url: str | None, *, expired: bool = False,
                   note: str | None = None, on_edit: Callable[[str], object] | None = None) -> None:
    """The whole character before it is created: the cover, then each step's choices with a way back to it."""
    with ui.card().classes('w-full shadow-none border border-slate-200').props('flat').mark('review'):
        # No wrapping (Quasar's `.flex` wraps): beside the cover the groups take the rest of the width.
        with ui.element('div').classes('w-full flex flex-col sm:flex-row flex-nowrap gap-4 items-start'):
            _cover(cover_url, 'w-40 sm:w-48 self-center sm:self-start', expired=expired)
            # Two columns from 768 px: the look (the longest group) in one, the other steps' groups in the other.
            with ui.element('div').classes('grid grid-cols-1 md:grid-cols-2 gap-x-6 gap-y-4 grow min-w-0 w-full'):
                for column in (groups[:1], groups[1:]):
                    with ui.column().classes('gap-4 min-w-0 w-full'):
                        for group in column:
                            _group(*group, on_edit=on_edit)
        _note(note)


def look_preview(cover_url: str | None, look: list[str], *, expired: bool = False, note: str | None = None,
                 on_change_look: Callable[[], object] | None = None) -> None:
    """What the character looks like, next to the Details fields: the cover and the chosen look, nothing the
    fields beside it already show."""
    with ui.card().classes('w-full shadow-none border border-slate-200').props('flat').mark('look-preview'):
        with ui.row().classes('w-full gap-4 items-start no-wrap'):
            _cover(cover_url, 'w-24 sm:w-32', expired=expired)
            with ui.column().classes('gap-2 min-w-0'):
                with ui.row().classes('gap-1'):
                    for text in look:
                        ui.chip(text).props('dense square outline color=primary').classes('text-xs')
                if not look:
                    ui.label('No look chosen yet.').classes('text-sm text-slate-500')
                if on_change_look is not None:
                    ui.button('Change look', icon='tune', on_click=on_change_look) \
                        .props('flat dense no-caps size=sm').mark('preview-change-look')
        _note(note)
