"""Step 1, Look: gender first, then one tile per option in every look category, in the chosen label language."""

from __future__ import annotations

import random
from functools import partial
from typing import get_args

from nicegui import events, ui

from components.error_box import error_box
from components.tiles import TileGrid, choice_tile
from pages.studio.section import Section
from services.platform.models import Gender
from services.studio import catalogue
from services.studio.messages import describe
from services.studio.rules import LANGUAGES
from services.studio.studio import Studio

GENDERS: tuple[Gender, ...] = get_args(Gender)


class LookStep(Section):
    def __init__(self, studio: Studio) -> None:
        super().__init__(studio)
        self.grids: dict[str, TileGrid] = {}
        self.hints: dict[str, ui.label] = {}

    def key(self) -> object:
        # The choices themselves are not in the key: tiles move their highlight in place (see update).
        studio, draft = self.studio, self.studio.draft
        return (draft.gender, draft.options_language, studio.options_for, studio.options_loading,
                studio.options_error)

    @ui.refreshable_method
    def render(self) -> None:
        studio, draft = self.studio, self.studio.draft
        with ui.row().classes('w-full items-center justify-between gap-3'):
            ui.label('Who are you creating?').classes('text-lg font-semibold')
            ui.select(LANGUAGES, value=draft.options_language, label='Option labels in',
                      on_change=self._language_changed).props('dense outlined options-dense') \
                .classes('w-40').mark('options-language')
        with ui.row().classes('gap-4'):
            choice_tile('Female', 'female', selected=draft.gender == 'female', marker='gender-female',
                        on_click=lambda: self.choose_gender('female'))
            choice_tile('Male', 'male', selected=draft.gender == 'male', marker='gender-male',
                        on_click=lambda: self.choose_gender('male'))
        self.grids = {}
        self.hints = {}
        if draft.gender is None:
            ui.label('Choose a gender to see the options for age, body, hair and more.') \
                .classes('text-sm text-slate-500')
            return
        if studio.options_error is not None:
            error = studio.options_error
            error_box(describe(error, 'load the options'), error.trace_id, title='Options could not be loaded',
                      action=('Try again', self.load_options))
            return
        if studio.options_loading and not studio.options:
            with ui.row().classes('items-center gap-2 text-slate-500'):
                ui.spinner(size='md')
                ui.label('Loading options…')
            return
        for category in draft.look_categories():
            options = studio.options.get(category, [])
            with ui.column().classes('w-full gap-2 mt-2'):
                with ui.row().classes('items-baseline gap-2'):
                    ui.label(catalogue.title(category)).classes('text-base font-semibold')
                    hint = ui.label('choose one').classes('text-xs text-amber-700')
                    hint.visible = not draft.look.get(category)
                    self.hints[category] = hint
                if not options:
                    ui.label('The platform offers no choices here for this gender.').classes('text-sm text-slate-500')
                    continue
                self.grids[category] = TileGrid(category, options, draft.look.get(category),
                                                partial(studio.choose_look, category))

    def update(self) -> None:
        look = self.studio.draft.look
        for category, grid in self.grids.items():
            grid.select(look.get(category))
        for category, hint in self.hints.items():
            hint.visible = not look.get(category)

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
            self.notify('A random look is ready. Change anything you like.', type='positive')

    def _tell_cleared(self, cleared: list[str]) -> None:
        if cleared:
            self.notify(f'Cleared {", ".join(cleared)}: not available for a {self.studio.draft.gender} character. '
                        f'Choose again.', type='info', multi_line=True)
