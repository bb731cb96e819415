"""The studio page: its header, the five steps in a stepper, and `sync()`, the one place the page catches up.

A click here changes the Studio model, which announces it (`on_change`); another tab's change or a job's shows
in `Studio.stamp()`, which pages.studio.live makes the page look at. Either way `sync()` runs, and each section
redraws itself only if what it shows changed (pages.studio.section).
"""

from __future__ import annotations

from nicegui import background_tasks, ui

from components.error_box import error_box
from components.signed_out import signed_out_notice
from components.speedups import PAGE_BUILD_TIMEOUT
from components.theme import frame
from pages.studio.cover import CoverStep
from pages.studio.create import CreateStep
from pages.studio.details import DetailsStep
from pages.studio.live import LiveUpdates
from pages.studio.look import LookStep
from pages.studio.photo import PhotoStep
from pages.studio.review import LookPreview, ReviewSection
from pages.studio.section import Section
from runtime import runtime
from services.core.db import DatabaseUnavailable
from services.core.i18n import N_, _, current_language
from services.studio.drafts import STEPS
from services.studio.studio import Studio

STEP_TITLES = {'look': N_('Look'), 'photo': N_('Reference photo'), 'cover': N_('Cover'), 'details': N_('Details'),
               'create': N_('Create')}
STEP_ICONS = {'look': 'face_retouching_natural', 'photo': 'add_a_photo', 'cover': 'image', 'details': 'edit_note',
              'create': 'rocket_launch'}


def setup() -> None:
    @ui.page('/studio', response_timeout=PAGE_BUILD_TIMEOUT)  # late rather than a 500 when busy
    async def studio_page() -> None:
        principal = runtime.auth.current_principal()
        with frame(_('Studio'), active='/studio'):
            if principal is None:
                signed_out_notice()
                return
            try:
                # The person's draft and jobs into this instance's view, which the page then reads synchronously.
                await runtime.drafts.load(principal.owner_id)
                await runtime.jobs.load(principal.owner_id)
            except DatabaseUnavailable as unavailable:
                error_box(unavailable.user_message, title=_('The studio cannot load your work right now'),
                          action=(_('Try again'), lambda: ui.navigate.reload()), kind='warning')
                return
            studio = Studio(principal, drafts=runtime.drafts, jobs=runtime.jobs, options=runtime.options,
                            platform=runtime.platform, max_upload_bytes=runtime.settings.max_upload_bytes,
                            on_create=lambda who, job: runtime.recorder.watch(who, job.id))
            # A new draft's option labels and agent language start as the page's language (both still changeable).
            studio.prefer_language(current_language())
            StudioView(studio).build()


class StudioStepper(ui.stepper):
    """A stepper whose steps are "done" when their content is complete, not merely because they come first."""

    def _handle_value_change(self, value: object) -> None:
        super(ui.stepper, self)._handle_value_change(value)  # skip ui.stepper's "every earlier step is done"


class StudioView:
    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        review, preview = ReviewSection(studio), LookPreview(studio)
        self.look = LookStep(studio)
        self.cover = CoverStep(studio)
        self.sections: dict[str, Section] = {'look': self.look, 'photo': PhotoStep(studio), 'cover': self.cover,
                                             'details': DetailsStep(studio, preview),
                                             'create': CreateStep(studio, review)}
        # What each step shows: its section, and the sections drawn inside it.
        self.shown: dict[str, list[Section]] = {name: [section] for name, section in self.sections.items()}
        self.shown['details'].append(preview)
        self.shown['create'].append(review)
        self.steps: dict[str, ui.step] = {}
        self.holders: dict[str, ui.element] = {}  # where each step's section is drawn, once it is first shown
        self._stamp: object = None
        self._syncing = False

    def build(self) -> None:
        studio = self.studio
        studio.settle()
        with ui.row().classes('w-full items-end justify-between gap-2'):
            with ui.column().classes('gap-0'):
                ui.label(_('Create a character')).classes('text-2xl sm:text-3xl font-bold tracking-tight') \
                    .mark('studio-title')
                ui.label(_('One decision at a time. Everything is saved as you go.')) \
                    .classes('text-sm text-slate-500')
            ui.button(_('Surprise me'), icon='casino', on_click=self.look.surprise) \
                .props('outline no-caps color=secondary').mark('surprise')
        step = studio.draft.step if studio.draft.step in STEPS else 'look'
        with StudioStepper(value=step, on_value_change=lambda e: self._chosen(e.value)) \
                .props('header-nav alternative-labels animated flat bordered active-icon=none') \
                .classes('w-full studio-stepper rounded-xl bg-white') as self.stepper:
            for index, name in enumerate(self.sections):
                with ui.step(name, title=_(STEP_TITLES[name]), icon=STEP_ICONS[name]) as self.steps[name]:
                    self.holders[name] = ui.element('div').classes('w-full studio-step-body')
                    if name not in ('photo', 'create'):  # these two draw their own way on (pages/studio/photo.py)
                        self._nav(STEPS[index - 1] if index else None, STEPS[index + 1])
        studio.on_change = self.sync
        LiveUpdates(self).start()
        self.sync()

    def _nav(self, back: str | None, forward: str) -> None:
        with ui.stepper_navigation().classes('gap-2'):
            ui.button(_('Next: {step}').format(step=_(STEP_TITLES[forward])),
                      on_click=lambda: self.studio.go_to(forward)) \
                .props('unelevated no-caps icon-right=arrow_forward').mark(f'next-{forward}')
            if back:
                ui.button(_('Back'), on_click=lambda: self.studio.go_to(back)).props('flat no-caps')

    def _chosen(self, step: str) -> None:
        """The stepper shows another step (its title clicked in the header, or `sync` following the draft).

        Caught up at once even when going there changes nothing: another tab may have gone to this step a
        moment ago, before this page's timer noticed, and the step would stay undrawn (or show what it did when
        last shown) until then."""
        self.studio.go_to(step)
        if not self._syncing:
            self.sync()

    def sync(self) -> None:
        """Show what changed since the last time, wherever it was changed."""
        studio = self.studio
        if studio.stamp() == self._stamp:
            return
        syncing, self._syncing = self._syncing, True
        try:
            self._catch_up()
        finally:
            self._syncing = syncing

    def _catch_up(self) -> None:
        studio = self.studio
        studio.settle()
        if studio.needs_options():  # another tab chose a gender or a label language
            background_tasks.create(self.look.load_options(), name='studio-options', context=self.stepper)
        if studio.draft.step in STEPS and self.stepper.value != studio.draft.step:
            self.stepper.value = studio.draft.step
        self._show(studio.draft.step if studio.draft.step in STEPS else 'look')
        for name, done in studio.steps_done().items():
            wanted = 'true' if done else 'false'
            if self.steps[name].props.get(':done') != wanted:
                self.steps[name].props(f':done={wanted}')
        self._stamp = studio.stamp()

    def _show(self, step: str) -> None:
        """Draw the step on show, the first time it is shown, and redraw what changed in it since.

        Only the step on show: the others are out of sight (the stepper draws one step at a time), and catch up
        when they are next shown. Redrawing every step on every change was two fifths of a busy instance's loop
        time (bench figure 10): the review on the Create step was rebuilt at every look choice."""
        if self.sections[step].root is None:  # never drawn on this page
            with self.holders[step]:
                self.sections[step].place()  # draws what it shows inside it, too
            return
        for section in self.shown[step]:
            section.show()
