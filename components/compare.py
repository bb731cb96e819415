"""Covers side by side: each large, with the look it was made with and the time it has left, and a choice to keep
one or put it aside.

At 640 px and wider the covers share one row (two to four columns); on a phone they are a row to swipe through,
each nearly as wide as the screen and snapping into place, with a line saying so. The clocks are updated in place
by the tickers returned, so the once-a-second tick rebuilds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nicegui import ui

from services.studio.jobs import Job

Ticker = Callable[[float], None]
Validity = Callable[[Job, float], tuple[str, str]]  # (text, colour name) of a cover's time left

_COLUMNS = {1: 'sm:grid-cols-1', 2: 'sm:grid-cols-2', 3: 'sm:grid-cols-3', 4: 'sm:grid-cols-4'}
BADGE_COLOURS = {'negative': 'bg-red-100 text-red-800', 'warning': 'bg-amber-100 text-amber-900',
                 'positive': 'bg-emerald-50 text-emerald-800', 'grey': 'bg-slate-100 text-slate-700'}


@dataclass(frozen=True)
class ComparedCover:
    job: Job
    image_url: str
    chips: Sequence[str]
    chosen: bool  # the draft's chosen cover


def comparison(covers: Sequence[ComparedCover], *, validity: Validity, on_keep: Callable[[str], object],
               on_dismiss: Callable[[str], object], on_close: Callable[[], object]) -> list[Ticker]:
    tickers: list[Ticker] = []
    with ui.column().classes('w-full gap-2').mark('compare'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(f'Comparing {len(covers)} covers').classes('text-lg font-semibold')
            ui.button('Back to all covers', icon='arrow_back', on_click=on_close) \
                .props('flat no-caps').mark('compare-close')
        ui.label('Keep the one you like: the others are put aside, and stay under "Dismissed" until they expire.') \
            .classes('text-sm text-slate-600')
        ui.label('Swipe sideways to see every cover.').classes('text-xs text-slate-500 sm:hidden')
        with ui.element('div').classes('w-full flex no-wrap gap-3 overflow-x-auto snap-x snap-mandatory pb-2 '
                                       f'sm:grid sm:overflow-visible {_COLUMNS.get(len(covers), "sm:grid-cols-4")}') \
                .mark('compare-row'):
            for cover in covers:
                tickers.append(_panel(cover, validity=validity, on_keep=on_keep, on_dismiss=on_dismiss))
    return tickers


def _panel(cover: ComparedCover, *, validity: Validity, on_keep: Callable[[str], object],
           on_dismiss: Callable[[str], object]) -> Ticker:
    job = cover.job
    with ui.card().props('flat bordered').classes('studio-compare-panel p-0 gap-0 overflow-hidden shrink-0 '
                                                  'w-[85%] sm:w-auto snap-center bg-white') \
            .mark(f'compare-{job.id}'):
        # Capped at about half the screen's height, so the time left and Keep stay in view beside three or four.
        image = ui.image(cover.image_url).classes('w-full aspect-[3/4] max-h-[56vh] bg-slate-100') \
            .props('fit=contain loading=eager')
        with ui.column().classes('w-full p-3 gap-2'):
            badge = ui.label().classes('text-xs font-medium rounded px-2 py-1').mark('compare-validity')
            with ui.row().classes('gap-1'):
                for text in cover.chips:
                    ui.label(text).classes('text-[11px] rounded-full border border-violet-200 text-violet-800 '
                                           'px-2 py-0.5')
            with ui.row().classes('w-full gap-2 items-center'):
                keep = ui.button('Keep this one', icon='check', on_click=lambda: on_keep(job.id)) \
                    .props('unelevated no-caps').mark('compare-keep', f'compare-keep-{job.id}')
                ui.button('Dismiss', icon='close', on_click=lambda: on_dismiss(job.id)) \
                    .props('flat no-caps color=grey-8').mark('compare-dismiss', f'compare-dismiss-{job.id}')
            if cover.chosen:
                ui.label('Your chosen cover now').classes('text-xs text-slate-500')

    def update(now: float) -> None:
        text, colour = validity(job, now)
        badge.set_text(text)
        badge.classes(replace='text-xs font-medium rounded px-2 py-1 ' + BADGE_COLOURS.get(colour, ''))
        usable = job.usable(now)
        keep.set_enabled(usable)
        if not usable:
            image.classes(add='grayscale opacity-60')

    update(time.time())
    return update
