"""A cover waiting in the line (services/studio/limits.py): its place, an estimate of when it starts, and Cancel.

Drawn by the Cover step in place of the "generating" card while `job.waiting`; the countdown is one of the step's
per-second tickers, so nothing here queries anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from nicegui import ui

from services.studio.job import Job
from services.studio.limits import clock_time, in_words


def place_text(job: Job) -> str:
    position, waiting = job.line_position or 1, max(job.line_waiting or 1, job.line_position or 1)
    if position == 1:
        return f'Waiting in line: you are next ({waiting} waiting)' if waiting > 1 else 'Waiting in line: you are next'
    return f'Waiting in line: place {position} of {waiting}'


def estimate_text(job: Job, now: float) -> str:
    """When it should start, and what that rests on: a guess from recent covers, said to be one."""
    if job.line_starts_at is None:
        return 'Working out when it starts…'
    left = job.line_starts_at - now
    when = 'any moment now' if left < 10 else f'in about {in_words(left)} (around {clock_time(job.line_starts_at)})'
    typical = in_words(job.line_typical or 0)
    basis = (f'the last {job.line_samples} covers took about {typical} each' if job.line_samples
             else f'no recent covers to go by, so {typical} each is assumed')
    return f'Expected to start {when}: {basis}.'


def waiting_card(job: Job, cancel: Callable[[str], None], tickers: list[Callable[[float], None]]) -> None:
    with ui.card().classes('w-full border border-amber-200 bg-amber-50 shadow-none').props('flat') \
            .mark('cover-waiting'):
        with ui.row().classes('w-full items-center no-wrap gap-4'):
            ui.icon('hourglass_top', size='2.2rem').classes('text-amber-700')
            with ui.column().classes('gap-0 grow'):
                ui.label(place_text(job)).classes('font-semibold').mark('line-place')
                estimate = ui.label().classes('text-sm text-slate-700').mark('line-estimate')
                ui.label('The studio is generating as many covers as it may at once. Yours starts by itself when '
                         'its turn comes: you can leave this page and come back.').classes('text-xs text-slate-500')
            ui.button('Cancel', icon='close', on_click=lambda: cancel(job.id)) \
                .props('flat no-caps color=negative').mark('line-cancel')

    def update(now: float) -> None:
        estimate.set_text(estimate_text(job, now))

    update(time.time())
    tickers.append(update)
