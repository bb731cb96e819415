"""Big visual option tiles: the option's preview image and label; selection changes in place, no rebuild."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from nicegui import background_tasks, ui

from services.platform.models import Option
from services.studio.rules import readable

OnSelect = Callable[[str], Coroutine[Any, Any, None] | None]
_SELECTED = 'selected'  # outlined by the theme's CSS (Quasar cards override Tailwind rings)
_GRADIENTS = ('from-violet-200 to-pink-200', 'from-sky-200 to-indigo-200', 'from-amber-100 to-rose-200',
              'from-emerald-100 to-teal-200', 'from-fuchsia-200 to-purple-200', 'from-slate-200 to-slate-300')


class TileGrid:
    """One category's options. `select(code)` moves the highlight without recreating any element."""

    def __init__(self, category: str, options: list[Option], selected: str | None, on_select: OnSelect, *,
                 columns: str = 'grid-cols-3 sm:grid-cols-4 md:grid-cols-6') -> None:
        self.category = category
        self.selected = selected
        self._on_select = on_select
        self._tiles: dict[str, ui.card] = {}
        self._checks: dict[str, ui.icon] = {}
        with ui.element('div').classes(f'grid {columns} gap-3 w-full') as self.container:
            for index, option in enumerate(options):
                self._tile(option, index)

    def _tile(self, option: Option, index: int) -> None:
        chosen = option.code == self.selected
        text = readable(option)
        with ui.card().classes('studio-tile p-0 gap-0 cursor-pointer overflow-hidden shadow-sm relative '
                               + (_SELECTED if chosen else '')) \
                .props('flat bordered tabindex=0') \
                .on('click', lambda code=option.code: self._clicked(code)) \
                .on('keydown.enter', lambda code=option.code: self._clicked(code)) \
                .mark(f'tile-{self.category}-{option.code}') as tile:
            if option.previewUrl:
                ui.image(option.previewUrl).classes('w-full aspect-square bg-slate-100').props('fit=cover no-spinner')
            else:
                gradient = _GRADIENTS[index % len(_GRADIENTS)]
                with ui.element('div').classes('w-full aspect-square flex items-center justify-center '
                                               f'bg-gradient-to-br {gradient}'):
                    ui.label(_initials(text)).classes('text-2xl font-bold text-slate-700/70')
            ui.label(text).classes('text-sm font-medium text-center px-2 py-2 leading-tight w-full')
            check = ui.icon('check_circle', color='primary').classes('absolute top-1 right-1 text-2xl bg-white '
                                                                     'rounded-full')
            check.visible = chosen
        self._tiles[option.code] = tile
        self._checks[option.code] = check

    def _clicked(self, code: str) -> None:
        self.select(code)
        result = self._on_select(code)
        if result is not None:
            background_tasks.create(result, name=f'tile-{self.category}')

    def select(self, code: str | None) -> None:
        if code == self.selected:
            return  # nothing to move: no update is sent to the browser
        if self.selected in self._tiles:
            self._tiles[self.selected].classes(remove=_SELECTED)
            self._checks[self.selected].visible = False
        self.selected = code
        if code in self._tiles:
            self._tiles[code].classes(add=_SELECTED)
            self._checks[code].visible = True


def choice_tile(label: str, icon: str, *, selected: bool, on_click: Callable[[], object], marker: str,
                caption: str = '') -> ui.card:
    """A single-choice tile (gender) with an icon instead of a preview image: icon and label side by side, so the
    choice takes one short row above the look's groups. The label comes last (browser tests read it there)."""
    with ui.card().classes('studio-tile cursor-pointer justify-center py-2 px-4 min-w-[8rem] '
                           + (_SELECTED + ' bg-violet-50' if selected else 'bg-white')) \
            .props('flat bordered tabindex=0').on('click', on_click).on('keydown.enter', on_click) \
            .mark(marker) as card:
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon(icon, color='primary' if selected else 'grey-7').classes('text-3xl')
            with ui.column().classes('gap-0'):
                if caption:
                    ui.label(caption).classes('text-xs text-slate-500')
                ui.label(label).classes('text-base font-semibold')
    return card


def _initials(text: str) -> str:
    words = [w for w in text.replace('-', ' ').split() if w]
    return ''.join(w[0] for w in words[:2]).upper() or '?'
