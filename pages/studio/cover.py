"""Step 3, Cover: generate, watch it work, pick any cover of this session until it expires, compare covers side
by side, start two variations of one.

The step is rebuilt only when the person's jobs, the chosen cover, the look or the comparison change; the
per-second parts (time elapsed, validity left, the 5-minute flag) are updated in place by `tick()`.

What the step has to say (a limit reached, a cancelled generation) is a line of its own under the buttons, not a
floating notification: a toast lay over the preview just as the cover arrived.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from nicegui import ui

from components.bidi import isolated
from components.budget_note import budget_note
from components.compare import BADGE_COLOURS, ComparedCover, comparison
from components.error_box import error_box
from components.look_drift import look_drift_notice
from components.queue_place import waiting_card
from pages.studio.section import Section
from runtime import runtime
from services.core.db import DatabaseUnavailable
from services.core.i18n import N_, _, format_list, translate
from services.studio.covers import COMPARE_MAX, COMPARE_MIN
from services.studio.jobs import EXPECTED_SECONDS, Job, JobRefused
from services.studio.limits import LimitExceeded
from services.studio.studio import InvalidChoices, NotReady, Studio

# The button's name, also quoted by the hint that leads to it.
SHOW_SIDE_BY_SIDE = N_('Show side by side')

def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f'{seconds // 60}:{seconds % 60:02d}'


def validity_text(job: Job, now: float) -> tuple[str, str]:
    """(text, colour) for a finished cover's validity, saying what happens when it runs out."""
    left = job.seconds_left(now)
    if job.used_for:
        return _('Used for {agent}').format(agent=isolated(job.used_for)), 'grey'
    if left is None:
        return '', 'grey'
    if left <= 0:
        return _('Expired: generate a new cover to create an agent'), 'negative'
    if job.expiring_soon(now):
        return _('Expires in {time}, then it expires and you need a new cover').format(time=clock(left)), 'warning'
    return _('Valid for {time}, then it expires and you need a new cover').format(time=clock(left)), 'positive'


def short_validity(job: Job, now: float) -> tuple[str, str]:
    """The same for a thumbnail, where only the clock fits."""
    left = job.seconds_left(now)
    if job.used_for:
        return _('Used'), 'grey'
    if left is None:
        return '', 'grey'
    if left <= 0:
        return _('Expired'), 'negative'
    text = _('{time} left').format(time=clock(left))
    return (f'⚠ {text}' if job.expiring_soon(now) else text), \
        ('warning' if job.expiring_soon(now) else 'positive')


class CoverStep(Section):
    def __init__(self, studio: Studio) -> None:
        super().__init__(studio)
        self._tickers: list[Callable[[float], None]] = []
        self.notice: tuple[str, str] | None = None  # (text, 'info' | 'warning' | 'negative'), under the buttons
        self._notice_box: ui.element | None = None

    def key(self) -> object:
        studio = self.studio
        return (studio.jobs_version(), studio.draft.selected_cover_job, tuple(studio.missing_look()),
                tuple(studio.look_chips()), tuple(studio.draft.dismissed_covers), studio.dismissed_usable(),
                studio.compare.state())

    def tick(self, now: float) -> None:
        for ticker in self._tickers:
            ticker(now)

    # --- what the buttons do ------------------------------------------------------------------------------

    def say(self, text: str | None, kind: str = 'info') -> None:
        """Show (or, with None, clear) the step's line under the buttons, in place."""
        self.notice = (text, kind) if text else None
        self._draw_notice()

    async def generate(self) -> None:
        self.say(None)
        try:
            await self.studio.generate_cover()  # the running card then says what is happening
        except NotReady as refusal:
            if refusal.step is not None:
                self.notify(refusal.user_message, type='warning')  # shown on the step it leads to
                self.studio.go_to(refusal.step)
            else:
                self.say(refusal.user_message, 'warning')
        except InvalidChoices as error:
            self.say(error.user_message, 'negative')
        except (LimitExceeded, JobRefused, DatabaseUnavailable) as error:
            # Fair use, an instance that is restarting, a database that is away: each says when to try again.
            self.say(error.user_message, 'warning')

    async def regenerate(self, job_id: str) -> None:
        """Try a failed or interrupted generation again, with its own choices."""
        self.say(None)
        try:
            job = await self.studio.regenerate(job_id)
        except (LimitExceeded, JobRefused, DatabaseUnavailable) as error:
            self.say(error.user_message, 'warning')
            return
        if job is None:
            self.say(_('That generation is no longer known; use Generate again.'), 'warning')

    async def variations(self, job_id: str) -> None:
        self.say(None)
        try:
            result = await self.studio.generate_variations(job_id, 2)
        except (LimitExceeded, JobRefused, DatabaseUnavailable) as error:
            self.say(error.user_message, 'warning')
            return
        if result.message:
            self.say(result.message, 'warning')

    def cancel(self, job_id: str) -> None:
        if self.studio.cancel_cover(job_id):
            self.say(_('Generation cancelled.'))

    def toggle_compare(self, job_id: str) -> None:
        refusal = self.studio.compare.toggle(job_id)
        self.say(refusal, 'warning')

    def show_comparison(self) -> None:
        self.say(self.studio.compare.show(), 'warning')

    def keep(self, job_id: str) -> None:
        self.studio.compare.keep(job_id)
        self.say(_('Kept. The others are under "Dismissed" until they expire.'))

    def dismiss(self, job_id: str) -> None:
        self.studio.compare.dismiss(job_id)
        if len(self.studio.compare.ids) < 1:
            self.studio.compare.stop()
        self.say(_('Put aside: it stays under "Dismissed" until it expires.'))

    # --- drawing ------------------------------------------------------------------------------------------

    @ui.refreshable_method
    def render(self) -> None:
        self._tickers = []
        studio = self.studio
        board = studio.cover_board()
        self._look_and_generate(has_covers=bool(board.covers or board.running or board.dismissed))
        self._notice_box = ui.column().classes('w-full gap-0')
        self._draw_notice()
        for job in board.running:
            waiting_card(job, self.cancel, self._tickers) if job.waiting else self._running_card(job)
        for job in board.problems:
            title = (_('Generation interrupted') if job.status == 'interrupted'
                     else _('The cover could not be generated'))
            # Stored in the language it was worded in; one of the job's own marked messages reads in this page's.
            error_box(translate(job.error_message) or _('Unknown error.'), job.trace_id, title=title,
                      action=(_('Try again'), partial(self.regenerate, job.id)))
        if studio.compare.showing and (compared := studio.compare.covers()):
            chosen = studio.draft.selected_cover_job
            self._tickers += comparison(
                [ComparedCover(job, runtime.previews.url(studio.owner, 'cover-preview', job.id),
                               studio.cover_chips(job), job.id == chosen) for job in compared],
                validity=validity_text, on_keep=self.keep, on_dismiss=self.dismiss, on_close=studio.compare.stop)
        elif board.covers or board.dismissed:
            if board.selected is not None and not studio.compare.picking:
                look_drift_notice(self.studio, self.generate)
                self._preview(board.selected)
            if board.covers:
                self._gallery(board.covers, board.selected)
            if board.dismissed:
                self._dismissed(board.dismissed)
        elif not board.running and not board.problems:
            with ui.column().classes('w-full items-center py-6 text-slate-500 gap-1'):
                ui.icon('image', size='3rem').classes('text-slate-300')
                ui.label(_('No cover yet. It takes 30 seconds to 5 minutes; you can fill in the details meanwhile.')) \
                    .classes('text-sm text-center')

    def _draw_notice(self) -> None:
        box = self._notice_box
        if box is None or box.is_deleted:
            return
        box.clear()
        if self.notice is None:
            return
        text, kind = self.notice
        colours = {'warning': 'bg-amber-50 border-amber-200 text-amber-900',
                   'negative': 'bg-red-50 border-red-200 text-red-900'}.get(kind, 'bg-sky-50 border-sky-200')
        icon = {'warning': 'warning', 'negative': 'error'}.get(kind, 'info')
        with box, ui.row().classes(f'w-full items-start no-wrap gap-2 border rounded-lg px-3 py-2 {colours}') \
                .props('role=status').mark('cover-notice'):
            ui.icon(icon).classes('text-xl shrink-0')
            ui.label(text).classes('text-sm grow break-words').mark('cover-notice-text')
            ui.button(icon='close', on_click=lambda: self.say(None)).props('flat round dense size=sm') \
                .tooltip(_('Close this message'))

    def _look_and_generate(self, *, has_covers: bool) -> None:
        missing = self.studio.missing_look()
        with ui.row().classes('w-full items-center gap-2'):
            for text in self.studio.look_chips():
                ui.chip(text).props('dense outline color=primary').classes('text-xs').mark('look-chip')
            ui.button(_('Change look'), icon='tune', on_click=lambda: self.studio.go_to('look')) \
                .props('flat dense no-caps size=sm')
        if missing:
            error_box(_('Choose {missing} on the Look step first.').format(missing=format_list(missing)),
                      title=_('The look is not complete'), kind='warning',
                      action=(_('Go to Look'), lambda: self.studio.go_to('look')))
        # The one way to generate (again): always with the look shown above.
        if has_covers:
            button = ui.button(_('Generate again'), icon='auto_awesome', on_click=self.generate) \
                .props('outline no-caps')
        else:
            button = ui.button(_('Generate cover'), icon='auto_awesome', on_click=self.generate) \
                .props('unelevated no-caps size=lg').classes('px-6')
        button.mark('generate-cover').set_enabled(not missing)
        budget_note(self.studio.principal)

    def _running_card(self, job: Job) -> None:
        low, high = EXPECTED_SECONDS
        with ui.card().classes('w-full border border-violet-200 bg-violet-50 shadow-none').props('flat') \
                .mark('cover-running'):
            with ui.row().classes('w-full items-center no-wrap gap-4'):
                ui.spinner('dots', size='2.5rem', color='primary')
                with ui.column().classes('gap-0 grow'):
                    ui.label(_('Generating your cover…')).classes('font-semibold')
                    elapsed = ui.label().classes('text-sm text-slate-600 font-mono').mark('cover-elapsed')
                    ui.label(_('Usually {low} s to {high} minutes. You can leave this page or fill in the details; '
                               'it keeps going.').format(low=low, high=high // 60)).classes('text-xs text-slate-500')
                ui.button(_('Cancel'), icon='close', on_click=lambda: self.cancel(job.id)) \
                    .props('flat no-caps color=negative').mark('cover-cancel')
            bar = ui.linear_progress(value=0, show_value=False).props('rounded color=primary').classes('h-1.5')

        def update(now: float) -> None:
            seconds = job.elapsed(now)
            elapsed.set_text(_('{time} elapsed').format(time=clock(seconds)))
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
                ui.label(_('Chosen cover')).classes('text-lg font-semibold')
                badge = ui.label().classes('text-sm font-medium rounded-md px-2 py-1').mark('cover-validity')
                reason = ui.label().classes('text-sm text-slate-600')
                ui.label(_('Generated in {duration} · {time}').format(
                    duration=clock(job.elapsed()),
                    time=time.strftime('%H:%M', time.localtime(job.finished_at or job.created_at)))) \
                    .classes('text-xs text-slate-500')
                with ui.row().classes('gap-2'):
                    ui.button(_('Generate 2 like this'), icon='library_add',
                              on_click=lambda: self.variations(job.id)) \
                        .props('outline no-caps').mark('cover-variations') \
                        .tooltip(_('Two new covers with the look this one was made with, generated at the same time'))
                ui.link(_('Open full size'), runtime.previews.url(owner, 'cover', job.id), new_tab=True) \
                    .classes('text-xs text-primary').mark('cover-full-size')

        def update(now: float) -> None:
            text, colour = validity_text(job, now)
            badge.set_text(text)
            badge.classes(replace='text-sm font-medium rounded-md px-2 py-1 ' + BADGE_COLOURS.get(colour, ''))
            expired = not job.usable(now)
            image.classes(add='grayscale opacity-60' if expired else '',
                          remove='' if expired else 'grayscale opacity-60')
            if job.used_for:
                reason.set_text(_('This cover became {agent}. The platform takes each cover once: generate a new one '
                                  'for this character.').format(agent=isolated(job.used_for)))
            elif expired:
                reason.set_text(_('This cover has expired: the platform keeps a cover for 30 minutes, so it can no '
                                  'longer be used. Use Generate again for a new one; your look is kept.'))
            elif job.expiring_soon(now):
                reason.set_text(_('Create your agent within the next few minutes, or generate again.'))
            else:
                reason.set_text(_('Ready to use.'))

        update(time.time())
        self._tickers.append(update)

    def _gallery(self, covers: list[Job], selected: Job | None) -> None:
        studio = self.studio
        picking = studio.compare.picking
        usable = sum(1 for job in covers if job.usable())
        with ui.row().classes('w-full items-center gap-2 mt-2'):
            ui.label(_('Covers from this session ({count})').format(count=len(covers))) \
                .classes('text-sm font-semibold text-slate-600')
            ui.space()
            if picking:
                count = len(studio.compare.ids)
                ui.label(_('{count} of {min} to {max} chosen').format(count=count, min=COMPARE_MIN, max=COMPARE_MAX)) \
                    .classes('text-xs text-slate-600') \
                    .mark('compare-count')
                ui.button(_(SHOW_SIDE_BY_SIDE), icon='view_column', on_click=self.show_comparison) \
                    .props('unelevated no-caps dense').mark('compare-show') \
                    .set_enabled(COMPARE_MIN <= count <= COMPARE_MAX)
                ui.button(_('Cancel'), on_click=studio.compare.stop).props('flat no-caps dense') \
                    .mark('compare-cancel')
            elif usable >= COMPARE_MIN:
                ui.button(_('Compare covers'), icon='compare', on_click=studio.compare.start) \
                    .props('outline no-caps dense').mark('compare-start')
        if picking:
            ui.label(_('Tap the covers to compare ({min} to {max}), then {show}.').format(
                min=COMPARE_MIN, max=COMPARE_MAX, show=_(SHOW_SIDE_BY_SIDE))) \
                .classes('text-xs text-slate-500')
        self._thumbs(covers, selected, picking=picking)

    def _dismissed(self, covers: list[Job]) -> None:
        with ui.expansion(_('Dismissed ({count})').format(count=len(covers)), icon='visibility_off') \
                .classes('w-full text-sm') \
                .props('dense header-class="px-0 text-slate-600"').mark('covers-dismissed'):
            ui.label(_('Put aside in Compare. Choose one to bring it back; each goes once it expires.')) \
                .classes('text-xs text-slate-500')
            self._thumbs(covers, None, picking=False)

    def _thumbs(self, covers: list[Job], selected: Job | None, *, picking: bool) -> None:
        studio = self.studio
        owner = studio.owner
        with ui.element('div').classes('grid grid-cols-3 sm:grid-cols-5 md:grid-cols-6 gap-3 w-full'):
            for job in covers:
                ticked = job.id in studio.compare.ids
                chosen = (ticked if picking else selected is not None and job.id == selected.id)
                click = (partial(self.toggle_compare, job.id) if picking else partial(studio.select_cover, job.id))
                with ui.card().classes('studio-tile p-0 gap-0 overflow-hidden cursor-pointer relative '
                                       + ('selected' if chosen else '')) \
                        .props('flat bordered').on('click', click).mark(f'cover-thumb-{job.id}'):
                    thumb = ui.image(runtime.previews.url(owner, 'cover-preview', job.id)) \
                        .classes('w-full aspect-[3/4] bg-slate-100').props('fit=cover no-spinner')
                    if picking:
                        ui.icon('check_circle' if ticked else 'radio_button_unchecked',
                                color='primary' if ticked else 'white') \
                            .classes('absolute top-1 right-1 text-2xl drop-shadow')
                    badge = ui.label().classes('text-[11px] text-center py-1 w-full font-medium')

                def update(now: float, job: Job = job, thumb: ui.image = thumb, badge: ui.label = badge) -> None:
                    text, colour = short_validity(job, now)
                    badge.set_text(text)
                    badge.classes(replace='text-[11px] text-center py-1 w-full font-medium '
                                          + BADGE_COLOURS.get(colour, ''))
                    if not job.usable(now):
                        thumb.classes(add='grayscale opacity-60')

                update(time.time())
                self._tickers.append(update)
