"""Step 4, Details: name, voice, the language the agent speaks and the optional traits, next to the review."""

from __future__ import annotations

from nicegui import ui

from pages.studio.review import ReviewSection
from pages.studio.section import Section
from services.core.text import BIDI_REFUSED, bidi_controls_in
from services.studio import catalogue
from services.studio.catalogue import OPTIONAL_DETAILS
from services.studio.rules import LANGUAGES
from services.studio.studio import Studio


class DetailsStep(Section):
    def __init__(self, studio: Studio, review: ReviewSection) -> None:
        super().__init__(studio)
        self.review = review
        self.name: ui.input | None = None
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
                self.name = ui.input('Name', value=draft.name, on_change=lambda e: studio.rename(e.value or ''),
                                     validation={'A name is required': lambda v: bool((v or '').strip()),
                                                 'At most 40 characters': lambda v: len((v or '').strip()) <= 40,
                                                 BIDI_REFUSED: lambda v: not bidi_controls_in(v or '')}) \
                    .props('outlined counter maxlength=40').classes('w-full').mark('name')
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
                ui.label('Review').classes('text-lg font-semibold')
                self.review.place()

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
