"""Step 4, Details: name, voice, the language the agent speaks and the optional traits, next to the look so far."""

from __future__ import annotations

from nicegui import events, ui

from pages.studio.review import LookPreview
from pages.studio.section import Section
from services.core.text import BIDI_REFUSED, bidi_controls_in
from services.studio import catalogue
from services.studio.catalogue import OPTIONAL_DETAILS
from services.studio.rules import LANGUAGES, NAME_MAX, name_length, name_problem
from services.studio.studio import Studio


class DetailsStep(Section):
    def __init__(self, studio: Studio, preview: LookPreview) -> None:
        super().__init__(studio)
        self.preview = preview
        self.name: ui.input | None = None
        self.counter: ui.label | None = None
        self.fields: dict[str, ui.select | ui.toggle] = {}  # draft field -> its input

    def key(self) -> object:
        # What the selects offer; what they hold is brought in place (see update), so a field is never rebuilt
        # under the person using it.
        return self.studio.draft.gender, self.studio.options_for

    @ui.refreshable_method
    def render(self) -> None:
        studio, draft = self.studio, self.studio.draft
        self.fields = {}
        with ui.element('div').classes('grid grid-cols-1 lg:grid-cols-2 gap-6 w-full'):
            with ui.column().classes('gap-3 w-full'):
                ui.label('Name and personality').classes('text-lg font-semibold')
                # No Quasar `counter`/`maxlength`: both count UTF-16 units, so an emoji counted twice and a name
                # could be cut in the middle of one. The counter in the field's counter slot counts characters as
                # a person sees them; the platform's own limit is checked by the validation (rules.NAME_MAX).
                self.name = ui.input('Name', value=draft.name, on_change=self._renamed,
                                     validation=self._name_error).props('outlined').classes('w-full').mark('name')
                with self.name.add_slot('counter'):
                    self.counter = ui.label(self._count(draft.name)).mark('name-counter')
                voices = studio.choices('Voice')
                if not draft.gender:
                    ui.label('Choose a gender on the Look step to see the voices.').classes('text-sm text-slate-500')
                self.fields['voice'] = ui.select(
                    voices, value=draft.voice if draft.voice in voices else None, label='Voice',
                    on_change=lambda e: studio.set_detail('voice', e.value)) \
                    .props('outlined options-dense').classes('w-full').mark('voice')
                with ui.column().classes('gap-1'):
                    ui.label('Language the agent speaks').classes('text-sm text-slate-600')
                    self.fields['language'] = ui.toggle(
                        LANGUAGES, value=draft.language, on_change=lambda e: studio.set_detail('language', e.value)) \
                        .props('no-caps unelevated toggle-color=primary').mark('language')
                for name in OPTIONAL_DETAILS:
                    detail = catalogue.by_draft_field(name)
                    choices = studio.choices(detail.code)
                    self.fields[name] = ui.select(
                        choices, value=getattr(draft, name) if getattr(draft, name) in choices else None,
                        label=f'{detail.title} (optional)', clearable=True,
                        on_change=lambda e, n=name: studio.set_detail(n, e.value)) \
                        .props('outlined options-dense').classes('w-full').mark(name)
            with ui.column().classes('gap-2 w-full'):
                ui.label('Your character so far').classes('text-lg font-semibold')
                self.preview.place()

    @staticmethod
    def _count(name: str) -> str:
        return f'{name_length(name)} / {NAME_MAX}'

    @staticmethod
    def _name_error(value: str | None) -> str | None:
        text = value or ''
        if not text.strip():
            return 'A name is required'
        if bidi_controls_in(text):
            return BIDI_REFUSED
        return name_problem(text)

    def _renamed(self, event: events.ValueChangeEventArguments) -> None:
        name = event.value or ''
        if self.counter is not None:
            self.counter.set_text(self._count(name))
        self.studio.rename(name)

    def update(self) -> None:
        """Another tab changed a detail: show it in the field. Each field's own handler sees its value is the
        draft's already, so nothing is saved again."""
        draft = self.studio.draft
        if self.name is not None and self.name.value != draft.name:
            self.name.value = draft.name
        for name, field in self.fields.items():
            value = getattr(draft, name)
            # A value the field does not offer is left alone: setting it would clear the draft's choice.
            if field.value != value and (value is None or value in field.options):
                field.value = value
