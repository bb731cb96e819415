"""Step 3, Cover: generate, watch it work, pick any cover of this session until it expires.

The step is rebuilt only when the person's jobs, the chosen cover or the look change; the per-second parts (time
elapsed, validity left, the 5-minute flag) are updated in place by `tick()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from nicegui import ui

from components.bidi import isolated
from components.error_box import error_box
from components.look_drift import look_drift_notice
from pages.studio.section import Section
from runtime import runtime
from services.core.db import DatabaseUnavailable
from services.studio.jobs import EXPECTED_SECONDS, Job, JobRefused
from services.studio.limits import LimitExceeded
from services.studio.studio import InvalidChoices, NotReady, Studio

GENERATING = 'Generating your cover. Meanwhile, fill in the details.'


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f'{seconds // 60}:{seconds % 60:02d}'


def validity_text(job: Job, now: float) -> tuple[str, str]:
    """(text, colour) for a finished cover's validity."""
    left = job.seconds_left(now)
    if job.used_for:
        return f'Used for {isolated(job.used_for)}', 'grey'
    if left is None:
        return '', 'grey'
    if left <= 0:
        return 'Expired', 'negative'
    if job.expiring_soon(now):
        return f'Expires in {clock(left)}', 'warning'
    return f'Valid for {clock(left)}', 'positive'


class CoverStep(Section):
    def __init__(self, studio: Studio) -> None:
        super().__init__(studio)
        self._tickers: list[Callable[[float], None]] = []

    def key(self) -> object:
        studio = self.studio
        return (studio.jobs_version(), studio.draft.selected_cover_job, tuple(studio.missing_look()),
                tuple(studio.look_summary()))

    def tick(self, now: float) -> None:
        for ticker in self._tickers:
            ticker(now)

    # --- what the buttons do ------------------------------------------------------------------------------

    async def generate(self) -> None:
        try:
            await self.studio.generate_cover()
        except NotReady as refusal:
            self.notify(refusal.user_message, type='warning')
            if refusal.step is not None:
                self.studio.go_to(refusal.step)
        except InvalidChoices as error:
            self.notify(error.user_message, type='negative')
        except (LimitExceeded, JobRefused, DatabaseUnavailable) as error:
            # Fair use, an instance that is restarting, a database that is away: each says when to try again.
            self.notify(error.user_message, type='warning', multi_line=True, timeout=8000)
        else:
            self.notify(GENERATING, type='info')

    async def regenerate(self, job_id: str) -> None:
        try:
            job = await self.studio.regenerate(job_id)
        except (LimitExceeded, JobRefused, DatabaseUnavailable) as error:
            self.notify(error.user_message, type='warning', multi_line=True, timeout=8000)
            return
        if job is not None:
            self.notify(GENERATING, type='info')

    def cancel(self, job_id: str) -> None:
        if self.studio.cancel_cover(job_id):
            self.notify('Generation cancelled.')

    # --- drawing ------------------------------------------------------------------------------------------

    @ui.refreshable_method
    def render(self) -> None:
        self._tickers = []
        board = self.studio.cover_board()
        self._look_and_generate(has_covers=bool(board.covers or board.running))
        for job in board.running:
            self._running_card(job)
        for job in board.problems:
            title = 'Generation interrupted' if job.status == 'interrupted' else 'The cover could not be generated'
            error_box(job.error_message or 'Unknown error.', job.trace_id, title=title,
                      action=('Regenerate', partial(self.regenerate, job.id)))
        if board.covers:
            if board.selected is not None:
                look_drift_notice(self.studio, self.generate)
                self._preview(board.selected)
            self._gallery(board.covers, board.selected)
        elif not board.running and not board.problems:
            with ui.column().classes('w-full items-center py-6 text-slate-500 gap-1'):
                ui.icon('image', size='3rem').classes('text-slate-300')
                ui.label('No cover yet. It takes 30 seconds to 5 minutes; you can fill in the details meanwhile.') \
                    .classes('text-sm text-center')

    def _look_and_generate(self, *, has_covers: bool) -> None:
        missing = self.studio.missing_look()
        with ui.row().classes('w-full items-center gap-2'):
            for text in self.studio.look_summary():
                ui.chip(text).props('dense outline color=primary').classes('text-xs')
            ui.button('Change look', icon='tune', on_click=lambda: self.studio.go_to('look')) \
                .props('flat dense no-caps size=sm')
        if missing:
            error_box('Choose ' + ', '.join(missing) + ' on the Look step first.', title='The look is not complete',
                      kind='warning', action=('Go to Look', lambda: self.studio.go_to('look')))
        if has_covers:  # once there is a cover, another one is the secondary action
            button = ui.button('Generate another', icon='auto_awesome', on_click=self.generate) \
                .props('outline no-caps')
        else:
            button = ui.button('Generate cover', icon='auto_awesome', on_click=self.generate) \
                .props('unelevated no-caps size=lg').classes('px-6')
        button.mark('generate-cover').set_enabled(not missing)

    def _running_card(self, job: Job) -> None:
        low, high = EXPECTED_SECONDS
        with ui.card().classes('w-full border border-violet-200 bg-violet-50 shadow-none').props('flat') \
                .mark('cover-running'):
            with ui.row().classes('w-full items-center no-wrap gap-4'):
                ui.spinner('dots', size='2.5rem', color='primary')
                with ui.column().classes('gap-0 grow'):
                    ui.label('Generating your cover…').classes('font-semibold')
                    elapsed = ui.label().classes('text-sm text-slate-600 font-mono').mark('cover-elapsed')
                    ui.label(f'Usually {low} s to {high // 60} minutes. You can leave this page or fill in the '
                             f'details; it keeps going.').classes('text-xs text-slate-500')
                ui.button('Cancel', icon='close', on_click=lambda: self.cancel(job.id)) \
                    .props('flat no-caps color=negative').mark('cover-cancel')
            bar = ui.linear_progress(value=0, show_value=False).props('rounded color=primary').classes('h-1.5')

        def update(now: float) -> None:
            seconds = job.elapsed(now)
            elapsed.set_text(f'{clock(seconds)} elapsed')
            bar.set_value(min(0.95, seconds / high))

        update(time.time())
        self._tickers.append(update)

    def _preview(self, job: Job) -> None:
        owner = self.studio.owner
        with ui.row().classes('w-full gap-6 items-start'):
            with ui.element('div').classes('relative w-full sm:w-80 shrink-0'):
                # The display-sized copy: the 2 MB original took longer to arrive and decode than the rest of
                # the redraw together (bench fig4). The original is one click away. Eager: it is the one image
                # the person waits for, and it is always in view.
                image = ui.image(runtime.previews.url(owner, 'cover-preview', job.id)) \
                    .classes('w-full rounded-xl shadow-md bg-slate-100') \
                    .props('fit=contain loading=eager fetchpriority=high').mark('cover-preview')
            with ui.column().classes('gap-2 grow min-w-[14rem]'):
                ui.label('Chosen cover').classes('text-lg font-semibold')
                chip = ui.chip('', icon='schedule').props('square').mark('cover-validity')
                reason = ui.label().classes('text-sm text-slate-600')
                ui.label(f'Generated in {clock(job.elapsed())} · '
                         f'{time.strftime("%H:%M", time.localtime(job.finished_at or job.created_at))}') \
                    .classes('text-xs text-slate-500')
                with ui.row().classes('gap-2'):
                    ui.button('Regenerate', icon='refresh', on_click=lambda: self.regenerate(job.id)) \
                        .props('outline no-caps').mark('cover-regenerate')
                ui.link('Open full size', runtime.previews.url(owner, 'cover', job.id), new_tab=True) \
                    .classes('text-xs text-primary').mark('cover-full-size')

        def update(now: float) -> None:
            text, colour = validity_text(job, now)
            chip.set_text(text)
            chip.props(f'color={colour} text-color=white')
            expired = not job.usable(now)
            image.classes(add='grayscale opacity-60' if expired else '',
                          remove='' if expired else 'grayscale opacity-60')
            if job.used_for:
                reason.set_text(f'This cover became {isolated(job.used_for)}. The platform takes each cover once: '
                                f'generate a new one for this character.')
            elif expired:
                reason.set_text('This cover has expired: the platform keeps a cover for 30 minutes, so it can no '
                                'longer be used. Regenerate to get a new one with the same look.')
            elif job.expiring_soon(now):
                reason.set_text('Create your agent within the next few minutes, or regenerate.')
            else:
                reason.set_text('Ready to use.')

        update(time.time())
        self._tickers.append(update)

    def _gallery(self, covers: list[Job], selected: Job | None) -> None:
        owner = self.studio.owner
        ui.label(f'Covers from this session ({len(covers)})').classes('text-sm font-semibold text-slate-600 mt-2')
        with ui.element('div').classes('grid grid-cols-3 sm:grid-cols-5 md:grid-cols-6 gap-3 w-full'):
            for job in covers:
                chosen = selected is not None and job.id == selected.id
                with ui.card().classes('studio-tile p-0 gap-0 overflow-hidden cursor-pointer relative '
                                       + ('selected' if chosen else '')) \
                        .props('flat bordered').on('click', lambda j=job.id: self.studio.select_cover(j)) \
                        .mark(f'cover-thumb-{job.id}'):
                    thumb = ui.image(runtime.previews.url(owner, 'cover-preview', job.id)) \
                        .classes('w-full aspect-[3/4] bg-slate-100').props('fit=cover no-spinner')
                    badge = ui.label().classes('text-[11px] text-center py-1 w-full font-medium')

                def update(now: float, job: Job = job, thumb: ui.image = thumb, badge: ui.label = badge) -> None:
                    text, colour = validity_text(job, now)
                    badge.set_text(text.replace('Valid for ', '').replace('Expires in ', '⚠ '))
                    palette = {'negative': 'bg-red-100 text-red-700', 'warning': 'bg-amber-100 text-amber-800',
                               'positive': 'bg-emerald-50 text-emerald-700'}
                    badge.classes(replace='text-[11px] text-center py-1 w-full font-medium '
                                          + palette.get(colour, ''))
                    if not job.usable(now):
                        thumb.classes(add='grayscale opacity-60')

                update(time.time())
                self._tickers.append(update)
