"""Step 1, Look: gender first, then the look's groups one at a time, in the chosen label language.

All groups stacked one under another made a page about 3,000 px tall with Next only at the bottom. Here a row of
group buttons doubles as the summary (each shows what is chosen, or that a choice is still to make) and only the
open group's tiles are shown; choosing in a group for the first time opens the next group still to choose. The
step's Next bar sticks to the bottom of the window, so it stays in reach on a phone too.
"""

from __future__ import annotations

import random
from functools import partial
from typing import get_args

from nicegui import events, ui

from components.error_box import error_box
from components.tiles import TileGrid, choice_tile
from pages.studio.section import Section
from services.core.i18n import N_, _, format_list
from services.platform.models import Gender
from services.studio import catalogue
from services.studio.messages import describe
from services.studio.rules import GENDERS as GENDER_WORDS
from services.studio.rules import LANGUAGES
from services.studio.studio import Studio

GENDERS: tuple[Gender, ...] = get_args(Gender)
# Translators: a look group's caption while nothing is chosen in it yet ("still to choose").
TO_CHOOSE = N_('Choose')
# Tiles of about 8.5rem: a group of up to eight fits one row at 1280 px, three a row on a 390 px phone.
TILE_COLUMNS = 'grid-cols-3 sm:grid-cols-[repeat(auto-fill,minmax(8.5rem,1fr))]'
# The stepper's navigation of this step (drawn by the view right after the step's content) sticks to the bottom
# of the window, so Next is never a scroll away; the look step is the only one whose content may be taller than
# a phone's screen. Sticky needs the window to be the nearest scrolling box: Quasar's step panels scroll
# (`overflow: auto`) and their parent hides overflow for the slide between steps; `clip` still clips the slide
# without making a scrolling box.
# The step is drawn inside view.py's `studio-step-body` holder, hence the `> .studio-step-body > .studio-look`.
_CSS = """
.q-stepper__content:has(.studio-look) { overflow: clip; }
.q-stepper__content:has(.studio-look) > .q-panel { overflow: visible; }
.q-stepper__step-inner:has(> .studio-step-body > .studio-look) > .q-stepper__nav {
  position: sticky; bottom: 0; z-index: 2; margin: 0 -24px -24px; padding: 10px 24px; width: calc(100% + 48px);
  background: rgba(255, 255, 255, .94); backdrop-filter: blur(4px); border-top: 1px solid #e2e8f0;
}
@media (max-width: 640px) {
  .q-stepper__step-inner:has(> .studio-step-body > .studio-look) > .q-stepper__nav {
    margin: 0 -8px -16px; padding: 8px; width: calc(100% + 16px);
  }
}
.look-group { min-height: 0; }
.look-group.look-group-open { background: #f5f3ff; box-shadow: inset 0 -3px 0 var(--q-primary); }
"""


class LookStep(Section):
    def __init__(self, studio: Studio) -> None:
        super().__init__(studio)
        self.grids: dict[str, TileGrid] = {}
        self.captions: dict[str, ui.label] = {}  # category -> what its group button says is chosen
        self.marks: dict[str, ui.icon] = {}  # category -> its group button's check mark
        self.buttons: dict[str, ui.button] = {}
        self.progress: ui.label | None = None
        self.panels: ui.tab_panels | None = None
        self.open: str | None = None  # the group shown; this page's own, not the draft's (another tab opens its own)

    def key(self) -> object:
        # The choices themselves are not in the key: tiles move their highlight and group buttons their caption in
        # place (see update).
        studio, draft = self.studio, self.studio.draft
        return (draft.gender, draft.options_language, studio.options_for, studio.options_loading,
                studio.options_error)

    def place(self) -> None:
        ui.add_css(_CSS)
        super().place()

    @ui.refreshable_method
    def render(self) -> None:
        studio, draft = self.studio, self.studio.draft
        self.grids, self.captions, self.marks, self.buttons = {}, {}, {}, {}
        self.progress = self.panels = None
        with ui.column().classes('studio-look w-full gap-3'):
            with ui.row().classes('w-full items-center justify-between gap-3'):
                ui.label(_('Who are you creating?')).classes('text-lg font-semibold')
                ui.select(LANGUAGES, value=draft.options_language, label=_('Option labels in'),
                          on_change=self._language_changed).props('dense outlined options-dense') \
                    .classes('w-40').mark('options-language')
            with ui.row().classes('gap-3'):
                choice_tile(_(GENDER_WORDS['female']), 'female', selected=draft.gender == 'female',
                            marker='gender-female',
                            on_click=lambda: self.choose_gender('female'))
                choice_tile(_(GENDER_WORDS['male']), 'male', selected=draft.gender == 'male', marker='gender-male',
                            on_click=lambda: self.choose_gender('male'))
            if draft.gender is None:
                ui.label(_('Choose a gender to see the options for age, body, hair and more.')) \
                    .classes('text-sm text-slate-500')
                return
            if studio.options_error is not None:
                error = studio.options_error
                error_box(describe(error, 'load the options'), error.trace_id, title=_('Options could not be loaded'),
                          action=(_('Try again'), self.load_options))
                return
            if studio.options_loading and not studio.options:
                with ui.row().classes('items-center gap-2 text-slate-500'):
                    ui.spinner(size='md')
                    ui.label(_('Loading options…'))
                return
            self._groups()

    def _groups(self) -> None:
        studio, draft = self.studio, self.studio.draft
        categories = draft.look_categories()
        if self.open not in categories:
            self.open = next((c for c in categories if not draft.look.get(c)), categories[0])
        with ui.row().classes('w-full items-baseline justify-between gap-2'):
            ui.label(_('The look')).classes('text-base font-semibold')
            self.progress = ui.label().classes('text-xs').mark('look-progress')
        # The group buttons: a summary of the whole look at a glance, and the way to open a group.
        # Four a row on a phone (two rows for seven groups; the check mark is left out there, the caption says it;
        # `max-sm:hidden`, as Quasar's own `hidden` is !important and no breakpoint could show it again),
        # one row from 1024 px.
        with ui.element('div').classes('grid grid-cols-4 lg:grid-cols-7 gap-1 w-full') \
                .props(f'role=tablist aria-label="{_("Look groups")}"'):
            for category in categories:
                with ui.button(on_click=partial(self.open_group, category)) \
                        .props('flat no-caps align=left padding="6px 6px" role=tab') \
                        .classes('look-group w-full rounded-lg text-left').mark(f'look-group-{category}') as button:
                    with ui.column().classes('gap-0 items-start w-full min-w-0'):
                        with ui.row().classes('items-center gap-1 no-wrap w-full min-w-0'):
                            self.marks[category] = ui.icon('check_circle')
                            ui.label(catalogue.title(category)).classes(
                                'text-xs sm:text-sm font-semibold text-slate-800 truncate')
                        self.captions[category] = ui.label().classes('text-xs truncate w-full text-left') \
                            .mark(f'look-chosen-{category}')
                self.buttons[category] = button
        # Not animated: a group opens at once, as a click on a tab would, and its tiles never show half faded.
        with ui.tab_panels(value=self.open).classes('w-full bg-transparent').mark('look-panels') as self.panels:
            for category in categories:
                options = studio.options.get(category, [])
                with ui.tab_panel(category).classes('p-0 pt-1'):
                    if not options:
                        ui.label(_('The platform offers no choices here for this gender.')) \
                            .classes('text-sm text-slate-500')
                        continue
                    self.grids[category] = TileGrid(category, options, draft.look.get(category),
                                                    partial(self._chose, category), columns=TILE_COLUMNS)
        self.update()

    def update(self) -> None:
        look = self.studio.draft.look
        for category, grid in self.grids.items():
            grid.select(look.get(category))
        for category, caption in self.captions.items():
            code = look.get(category)
            text = self.studio.label(category, code) if code else _(TO_CHOOSE)
            if caption.text != text:
                caption.set_text(text)
                caption.classes(replace='text-xs truncate w-full text-left ' + ('text-slate-600' if code else
                                                                       'text-amber-700 font-medium'))
                self.marks[category].set_name('check_circle' if code else 'radio_button_unchecked')
                self.marks[category].classes(replace='max-sm:hidden text-base '
                                             + ('text-emerald-600' if code else 'text-slate-300'))
        for category, button in self.buttons.items():
            opened = category == self.open
            if ('look-group-open' in button.classes) != opened:
                button.classes(add='look-group-open') if opened else button.classes(remove='look-group-open')
                button.props(f'aria-selected={"true" if opened else "false"}')
        if self.progress is not None:
            missing = len(self.studio.draft.missing_look())
            total = len(self.captions)
            text = (_('All chosen: continue with Next.') if not missing
                    else _('{chosen} of {total} chosen').format(chosen=total - missing, total=total))
            if self.progress.text != text:
                self.progress.set_text(text)
                self.progress.classes(replace='text-xs ' + ('text-emerald-700 font-medium' if not missing
                                                            else 'text-slate-500'))

    def open_group(self, category: str) -> None:
        self.open = category
        if self.panels is not None:
            self.panels.set_value(category)
        self.update()

    def _chose(self, category: str, code: str) -> None:
        first_time = not self.studio.draft.look.get(category)
        self.studio.choose_look(category, code)
        if first_time and self.open == category:
            # The first choice in a group moves on to the next group still to choose; changing a choice stays
            # put, so a person comparing tiles is not taken away from them.
            categories = self.studio.draft.look_categories()
            later = categories[categories.index(category) + 1:] + categories[:categories.index(category)]
            following = next((c for c in later if not self.studio.draft.look.get(c)), None)
            if following is not None:
                self.open_group(following)

    async def choose_gender(self, gender: Gender) -> None:
        self._tell_cleared(await self.studio.choose_gender(gender))

    async def _language_changed(self, event: events.ValueChangeEventArguments) -> None:
        self._tell_cleared(await self.studio.choose_options_language(event.value))

    async def load_options(self) -> None:
        self._tell_cleared(await self.studio.load_options())

    async def surprise(self) -> None:
        if self.studio.draft.gender is None:
            await self.choose_gender(random.choice(GENDERS))
        if self.studio.surprise_look():
            # At the top: at the bottom of a phone's screen it lay over the sticky Next, the next thing pressed.
            self.notify(_('A random look is ready. Change anything you like.'), type='positive', position='top')

    def _tell_cleared(self, cleared: list[str]) -> None:
        if cleared:
            # One sentence per gender: Chinese and Japanese word "a female character" differently from "a male one".
            sentence = (_('Cleared {choices}: not available for a female character. Choose again.')
                        if self.studio.draft.gender == 'female' else
                        _('Cleared {choices}: not available for a male character. Choose again.'))
            self.notify(sentence.format(choices=format_list(cleared)), type='info', multi_line=True)
