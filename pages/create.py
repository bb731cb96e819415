"""The creation studio: Look → Reference photo → Cover → Details → Create.

Everything a person chooses lives in their server-side draft (services.studio.drafts), so every tab of theirs
shows the same character and a reload changes nothing. Cover generation and agent creation are jobs
(services.studio.jobs) that outlive the tab. While a tab is open it is told at once when one of its person's jobs
changes (JobManager.subscribe), so a finished cover shows without waiting for a poll; a one-second timer per tab
runs the clocks and notices what nobody pushes (another tab's draft changes), redrawing only the part that
changed.
"""

from __future__ import annotations

import asyncio
import random
import uuid

from nicegui import Client, background_tasks, events, run, ui
from pydantic import ValidationError

from components.cover_panel import CoverActions, CoverPanel
from components.error_box import error_box
from components.review import review_summary
from components.signed_out import signed_out_notice
from components.theme import frame
from components.tiles import TileGrid, choice_tile
from runtime import runtime
from services.auth.sessions import Principal
from services.core.text import BIDI_REFUSED, bidi_controls_in, bidi_problem
from services.platform.errors import PlatformError
from services.platform.models import CoverRequest, CreateAgentRequest, Option, Options
from services.studio.drafts import OPTIONAL_DETAILS, STEPS, Draft, RefPhoto
from services.studio.images import ACCEPTED_LABEL, ImageRejected, process_upload
from services.studio.jobs import Job, JobRefused
from services.studio.limits import LimitExceeded
from services.studio.messages import EXPIRED_COVER, describe

CATEGORY_TITLES = {'Age': 'Age', 'Ethnicity': 'Ethnicity', 'BodyType': 'Body type', 'HairColor': 'Hair colour',
                   'HairStyle': 'Hair style', 'BreastSize': 'Breast size', 'ButtSize': 'Butt size', 'Voice': 'Voice',
                   'Personality': 'Personality', 'Occupation': 'Occupation', 'Relationship': 'Relationship',
                   'Fetish': 'Fetish'}
LANGUAGES = {'en': 'English', 'zh': '中文', 'ja': '日本語'}
STEP_TITLES = {'look': 'Look', 'photo': 'Reference photo', 'cover': 'Cover', 'details': 'Details',
               'create': 'Create'}


class StudioStepper(ui.stepper):
    """A stepper whose steps are "done" when their content is complete, not merely because they come first."""

    def _handle_value_change(self, value: object) -> None:
        super(ui.stepper, self)._handle_value_change(value)  # skip ui.stepper's "every earlier step is done"


def wire_field(category: str) -> str:
    return category[0].lower() + category[1:]



def setup() -> None:
    ui.page('/studio')(studio_page)


def studio_page() -> None:
    principal = runtime.auth.current_principal()
    with frame('Studio', active='/studio'):
        if principal is None:
            signed_out_notice()
            return
        view = StudioView(principal)
        if view.draft.version == 0:  # a first visit: show option labels in the browser's language
            view.draft.options_language = preferred_language(ui.context.client.request.headers.get('accept-language'))
        view.build()


def preferred_language(header: str | None) -> str:
    """The first of en/zh/ja in an Accept-Language header ("ja-JP,ja;q=0.9,en;q=0.8" -> "ja")."""
    for part in (header or '').split(','):
        code = part.split(';')[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return 'en'


class StudioView:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.owner = principal.owner_id
        self.drafts = runtime.drafts
        self.draft: Draft = self.drafts.get(self.owner)
        self.jobs = runtime.jobs
        self.signer = runtime.previews
        self.options: Options = {}
        self.options_for: tuple[str | None, str] | None = None
        self.options_error: PlatformError | None = None
        self.options_loading = False
        self.photo_busy = False
        self.photo_error: tuple[str, str | None] | None = None
        self.create_error: tuple[str, str | None] | None = None
        self.seen_draft = self.draft.version
        self.seen_jobs = self.jobs.version(self.owner)
        self.cover_panel = CoverPanel(self.owner, self.jobs, self.signer, CoverActions(
            generate=self.generate, select=self.select_cover, regenerate=self.regenerate, cancel=self.cancel_cover,
            go_to_look=lambda: self.go('look')))
        self.look_grids: dict[str, TileGrid] = {}
        self.review_stale = False
        self._tick_lock = asyncio.Lock()  # the timer and a pushed change must not redraw at the same time
        self._push_pending = False

    # --- layout -----------------------------------------------------------------------------------------

    def build(self) -> None:
        self._ensure_selected_cover()
        with ui.row().classes('w-full items-end justify-between gap-2'):
            with ui.column().classes('gap-0'):
                ui.label('Create a character').classes('text-2xl sm:text-3xl font-bold tracking-tight')
                ui.label('One decision at a time. Everything is saved as you go.') \
                    .classes('text-sm text-slate-500')
            ui.button('Surprise me', icon='casino', on_click=self.surprise) \
                .props('outline no-caps color=secondary').mark('surprise')
        step = self.draft.step if self.draft.step in STEPS else 'look'
        with StudioStepper(value=step, on_value_change=self._step_changed) \
                .props('header-nav alternative-labels animated flat bordered active-icon=none') \
                .classes('w-full studio-stepper rounded-xl bg-white') as self.stepper:
            with ui.step('look', title='Look', icon='face_retouching_natural') as self.step_look:
                self.look_section()
                self._nav(None, 'photo')
            with ui.step('photo', title='Reference photo', icon='add_a_photo') as self.step_photo:
                self.photo_section()
                self._nav('look', 'cover')
            with ui.step('cover', title='Cover', icon='image') as self.step_cover:
                self.cover_panel.render()
                self._nav('photo', 'details')
            with ui.step('details', title='Details', icon='edit_note') as self.step_details:
                self.details_section()
                self._nav('cover', 'create')
            with ui.step('create', title='Create', icon='rocket_launch') as self.step_create:
                self.create_section()
        self._update_done_marks()
        self._refresh_cover_inputs()
        self.seen_usable = self._cover_usable_state()
        self.shown = self._fingerprints()
        ui.timer(1.0, self._tick)
        self._listen_to_jobs()
        if self.draft.gender is not None:
            background_tasks.create(self._load_options(), name='studio-options')

    def _nav(self, back: str | None, forward: str | None) -> None:
        with ui.stepper_navigation().classes('gap-2'):
            if forward:
                ui.button(f'Next: {STEP_TITLES[forward]}', on_click=lambda: self.go(forward)) \
                    .props('unelevated no-caps icon-right=arrow_forward').mark(f'next-{forward}')
            if back:
                ui.button('Back', on_click=lambda: self.go(back)).props('flat no-caps')

    def go(self, step: str) -> None:
        self.stepper.value = step  # fires _step_changed, which saves

    def _step_changed(self, event: events.ValueChangeEventArguments) -> None:
        if event.value in STEPS and self.draft.step != event.value:
            self.draft.step = event.value
            self.save()

    def save(self) -> None:
        self.seen_draft = self.drafts.save(self.owner)
        self.shown = self._fingerprints()  # this tab already shows its own change
        self._update_done_marks()

    def _update_done_marks(self) -> None:
        draft = self.draft
        cover = self._selected_cover()
        marks = {
            self.step_look: not draft.missing_look(),
            self.step_photo: (draft.ref.has_face or draft.ref.acknowledged) if draft.ref is not None
            else draft.photo_skipped,
            self.step_cover: cover is not None and cover.usable(),
            self.step_details: bool(draft.name.strip() and draft.voice),
        }
        for step, done in marks.items():
            wanted = 'true' if done else 'false'
            if step.props.get(':done') != wanted:
                step.props(f':done={wanted}')

    # --- keeping every tab in step ----------------------------------------------------------------------

    def _listen_to_jobs(self) -> None:
        """Hear of this person's job changes while this page exists; the listener goes with the page (a tab
        closed for good, not a reconnect: NiceGUI deletes the client only after its reconnect timeout)."""
        client = ui.context.client
        unsubscribe = self.jobs.subscribe(self.owner, lambda: self._job_pushed(client))
        client.on_delete(unsubscribe)

    def _job_pushed(self, client: Client) -> None:
        """Called inside the job, on the event loop: only schedule the redraw. Several changes in one turn of
        the loop (cover stored, then the draft told to select it) make one redraw, after all of them."""
        if self._push_pending or client.is_deleted:
            return
        self._push_pending = True
        background_tasks.create(self._pushed_tick(), name='studio-jobs-changed', context=client)

    async def _pushed_tick(self) -> None:
        self._push_pending = False
        await self._tick()

    async def _tick(self) -> None:
        async with self._tick_lock:
            await self._check_for_changes()

    async def _check_for_changes(self) -> None:
        version = self.jobs.version(self.owner)
        if self.draft.version != self.seen_draft:
            self.seen_draft = self.draft.version
            jobs_too = version != self.seen_jobs
            self.seen_jobs = version
            # A finished cover also selects itself in the draft: this redraws the cover panel once for both.
            await self._external_draft_change()
            selected = self.draft.selected_cover_job
            if jobs_too:
                self._ensure_selected_cover()
                if self.draft.selected_cover_job != selected:
                    self._jobs_changed()
        elif version != self.seen_jobs:
            self._jobs_changed()
        if self.review_stale:
            self.review_stale = False
            self.review.refresh()
            self.create_section.refresh()
        usable = self._cover_usable_state()
        if usable != self.seen_usable:  # the chosen cover just expired (or entered its last five minutes)
            self.seen_usable = usable
            self.review.refresh()
            self.create_section.refresh()
            self._update_done_marks()
        self.cover_panel.tick()

    def _cover_usable_state(self) -> tuple[str | None, bool, bool]:
        cover = self._selected_cover()
        return (cover.id, cover.usable(), cover.expiring_soon()) if cover else (None, False, False)

    def _fingerprints(self) -> dict[str, object]:
        """What each section shows, to redraw only the sections another tab actually changed."""
        draft = self.draft
        return {
            'look': (draft.gender, draft.options_language, tuple(sorted(draft.look.items()))),
            'photo': (draft.ref.model_dump() if draft.ref else None, draft.photo_skipped),
            'details': (draft.name, draft.voice, draft.language, *(getattr(draft, n) for n in OPTIONAL_DETAILS)),
            'cover': (draft.selected_cover_job, draft.create_job),
        }

    async def _external_draft_change(self) -> None:
        """Another tab (or a finished job) changed the draft: show it, leaving untouched sections alone (a
        rebuilt input would lose the focus of someone typing in it)."""
        before, now = self.shown, self._fingerprints()
        self.shown = now
        if self.stepper.value != self.draft.step:
            self.stepper.value = self.draft.step
        if before['look'] != now['look']:
            if (self.draft.gender, self.draft.options_language) != self.options_for and self.draft.gender:
                await self._load_options()
            else:
                self.look_section.refresh()
        if before['photo'] != now['photo']:
            self.photo_section.refresh()
        if before['details'] != now['details'] or before['look'] != now['look']:
            self.details_section.refresh()
        self._refresh_cover_inputs()
        self.cover_panel.render.refresh()
        self.create_section.refresh()
        self._update_done_marks()

    def _jobs_changed(self) -> None:
        self.seen_jobs = self.jobs.version(self.owner)  # what is drawn now: the push or timer need not redraw it
        self._ensure_selected_cover()
        self._refresh_cover_inputs()
        self.cover_panel.render.refresh()
        self.create_section.refresh()
        self._update_done_marks()

    # --- options ----------------------------------------------------------------------------------------

    async def _load_options(self) -> None:
        gender, language = self.draft.gender, self.draft.options_language
        self.options_loading = True
        self.options_error = None
        self.look_section.refresh()
        try:
            self.options = await runtime.options.get(self.principal.credentials, gender=gender,
                                                         language=language)
            self.options_for = (gender, language)
        except PlatformError as error:
            self.options_error = error
        finally:
            self.options_loading = False
        cleared = self._clear_invalid_choices() if self.options_error is None else []
        self.look_section.refresh()
        self.details_section.refresh()
        self._refresh_cover_inputs()
        self.cover_panel.render.refresh()
        self.create_section.refresh()
        if cleared:
            # The refreshes above deleted the tile whose click got us here, and with it the current slot: notify
            # from the stepper, which lives as long as the page.
            with self.stepper:
                ui.notify(f'Cleared {", ".join(cleared)}: not available for a {gender} character. Choose again.',
                          type='info', multi_line=True)

    def _clear_invalid_choices(self) -> list[str]:
        draft = self.draft
        cleared = []
        allowed = set(draft.look_categories())
        for category, code in list(draft.look.items()):
            if category not in allowed or code not in self._codes(category):
                del draft.look[category]
                if category in allowed:
                    cleared.append(CATEGORY_TITLES[category].lower())
        if draft.voice and draft.voice not in self._codes('Voice'):
            draft.voice = None
            cleared.append('voice')
        for name in OPTIONAL_DETAILS:
            value = getattr(draft, name)
            if value and value not in self._codes(name.capitalize()):
                setattr(draft, name, None)
                cleared.append(name)
        if cleared:
            self.save()
        return cleared

    def _codes(self, category: str) -> set[str]:
        return {o.code for o in self.options.get(category, [])}

    def label(self, category: str, code: str | None) -> str:
        if not code:
            return '—'
        option = next((o for o in self.options.get(category, []) if o.code == code), None)
        return option.display if option else code

    # --- step 1: look -----------------------------------------------------------------------------------

    @ui.refreshable_method
    def look_section(self) -> None:
        draft = self.draft
        with ui.row().classes('w-full items-center justify-between gap-3'):
            ui.label('Who are you creating?').classes('text-lg font-semibold')
            ui.select(LANGUAGES, value=draft.options_language, label='Option labels in',
                      on_change=self._options_language_changed).props('dense outlined options-dense') \
                .classes('w-40').mark('options-language')
        with ui.row().classes('gap-4'):
            choice_tile('Female', 'female', selected=draft.gender == 'female', marker='gender-female',
                        on_click=lambda: self.choose_gender('female'))
            choice_tile('Male', 'male', selected=draft.gender == 'male', marker='gender-male',
                        on_click=lambda: self.choose_gender('male'))
        self.look_grids = {}
        self.look_hints: dict[str, ui.label] = {}
        if draft.gender is None:
            ui.label('Choose a gender to see the options for age, body, hair and more.') \
                .classes('text-sm text-slate-500')
            return
        if self.options_error is not None:
            error = self.options_error
            error_box(describe(error, 'load the options'), error.trace_id, title='Options could not be loaded',
                      action=('Try again', self._load_options))
            return
        if self.options_loading and not self.options:
            with ui.row().classes('items-center gap-2 text-slate-500'):
                ui.spinner(size='md')
                ui.label('Loading options…')
            return
        for category in draft.look_categories():
            options = self.options.get(category, [])
            with ui.column().classes('w-full gap-2 mt-2'):
                with ui.row().classes('items-baseline gap-2'):
                    ui.label(CATEGORY_TITLES[category]).classes('text-base font-semibold')
                    hint = ui.label('choose one').classes('text-xs text-amber-700')
                    hint.visible = not draft.look.get(category)
                    self.look_hints[category] = hint
                if not options:
                    ui.label('The platform offers no choices here for this gender.').classes('text-sm text-slate-500')
                    continue
                self.look_grids[category] = TileGrid(
                    category, options, draft.look.get(category),
                    lambda code, c=category: self.choose_look(c, code))

    async def choose_gender(self, gender: str) -> None:
        if gender == self.draft.gender:
            return
        self.draft.gender = gender  # type: ignore[assignment]
        self.save()
        await self._load_options()

    async def _options_language_changed(self, event: events.ValueChangeEventArguments) -> None:
        if event.value == self.draft.options_language or event.value not in LANGUAGES:
            return
        self.draft.options_language = event.value
        self.save()
        if self.draft.gender:
            await self._load_options()

    def choose_look(self, category: str, code: str) -> None:
        self.draft.look[category] = code
        if category in self.look_hints:
            self.look_hints[category].visible = False
        self.save()
        self._refresh_cover_inputs()
        self.cover_panel.render.refresh()
        self.create_section.refresh()

    async def surprise(self) -> None:
        if self.draft.gender is None:
            self.draft.gender = random.choice(['female', 'male'])
            self.save()
            await self._load_options()
        if not self.options:
            return
        for category in self.draft.look_categories():
            options = self.options.get(category, [])
            if options:
                self.draft.look[category] = random.choice(options).code
        self.save()
        self.look_section.refresh()
        self._refresh_cover_inputs()
        self.cover_panel.render.refresh()
        self.create_section.refresh()
        ui.notify('A random look is ready. Change anything you like.', type='positive')

    # --- step 2: reference photo ------------------------------------------------------------------------

    @ui.refreshable_method
    def photo_section(self) -> None:
        ref = self.draft.ref
        ui.label('Add a reference photo (optional)').classes('text-lg font-semibold')
        ui.label('The cover will resemble the face in the photo. A clear, front-facing portrait works best. '
                 'You can skip this step.').classes('text-sm text-slate-600')
        if self.photo_error is not None:
            error_box(self.photo_error[0], self.photo_error[1], title='This photo could not be used')
        if self.photo_busy:
            with ui.row().classes('items-center gap-3 py-4'):
                ui.spinner(size='lg')
                ui.label('Checking your photo and looking for a face…')
            return
        if ref is None:
            limit_mb = runtime.settings.max_upload_bytes / (1024 * 1024)
            ui.upload(label=f'{ACCEPTED_LABEL}, up to {limit_mb:g} MB', auto_upload=True,
                      max_file_size=runtime.settings.max_upload_bytes, on_upload=self._photo_uploaded,
                      on_rejected=self._photo_rejected) \
                .props('accept=".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp" flat bordered') \
                .classes('w-full max-w-md').mark('photo-upload')
            ui.button('Skip: no reference photo', on_click=self._skip_photo) \
                .props('flat no-caps').mark('photo-skip')
            return
        with ui.row().classes('w-full gap-6 items-start'):
            ui.image(self.signer.url(self.owner, 'ref', ref.photo_id)).classes('w-48 rounded-xl shadow') \
                .props('fit=cover').mark('photo-preview')
            with ui.column().classes('gap-2 grow min-w-[14rem]'):
                ui.label(f'{ref.filename} · {ref.width}×{ref.height}').classes('text-xs text-slate-500')
                if ref.has_face:
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('verified', color='positive').classes('text-2xl')
                        ui.label('Face found' + (f' ({ref.face_count} faces: the clearest is used)'
                                                 if ref.face_count > 1 else '')).classes('font-semibold') \
                            .mark('face-found')
                elif ref.acknowledged:
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('info', color='warning').classes('text-2xl')
                        ui.label('No face found: continuing anyway.').classes('font-semibold')
                else:
                    error_box('We could not find a face in this photo. You can still use it, but the cover may '
                              'look less like the person. Use it anyway or choose another photo.',
                              title='No face found', kind='warning').mark('no-face')
                    ui.button('Continue anyway', icon='check', on_click=self._acknowledge_no_face) \
                        .props('unelevated no-caps color=warning').mark('photo-continue')
                ui.button('Remove photo', icon='delete', on_click=self._remove_photo) \
                    .props('flat no-caps color=negative').mark('photo-remove')

    async def _photo_uploaded(self, event: events.UploadEventArguments) -> None:
        self.photo_busy = True
        self.photo_error = None
        self.photo_section.refresh()
        creds = self.principal.credentials
        try:
            data = await event.file.read()
            processed = await run.io_bound(process_upload, data, event.file.name,
                                           max_bytes=runtime.settings.max_upload_bytes)
            if processed is None:
                return  # shutting down
            photo_id = uuid.uuid4().hex
            await run.io_bound(self.jobs.covers.save, self.owner, photo_id, processed.content, '.jpg')
            platform = runtime.platform
            ref, face = await asyncio.gather(
                platform.upload_ref_image(creds, processed.content, processed.filename, processed.content_type),
                platform.face_detect(creds, processed.content, processed.filename, processed.content_type))
        except ImageRejected as error:
            self.photo_error = (error.user_message, None)
        except PlatformError as error:
            self.photo_error = (describe(error, 'check the photo'), error.trace_id)
        else:
            old = self.draft.ref
            self.draft.ref = RefPhoto(photo_id=photo_id, filename=processed.filename, width=processed.width,
                                      height=processed.height, ref_image_id=ref.refImageId, has_face=face.hasFace,
                                      face_count=face.faceCount)
            self.save()
            if old is not None:
                self.jobs.covers.delete(self.owner, old.photo_id, '.jpg')
        finally:
            self.photo_busy = False
            self.photo_section.refresh()
            self._refresh_cover_inputs()

    def _skip_photo(self) -> None:
        self.draft.photo_skipped = True
        self.save()
        self.go('cover')

    def _photo_rejected(self) -> None:
        limit_mb = runtime.settings.max_upload_bytes / (1024 * 1024)
        self.photo_error = (f'That file is larger than {limit_mb:g} MB or not a {ACCEPTED_LABEL} image. '
                            f'Choose another photo.', None)
        self.photo_section.refresh()

    def _acknowledge_no_face(self) -> None:
        if self.draft.ref is not None:
            self.draft.ref.acknowledged = True
            self.save()
            self.photo_section.refresh()
            self.go('cover')

    def _remove_photo(self) -> None:
        ref = self.draft.ref
        self.draft.ref = None
        self.photo_error = None
        self.save()
        if ref is not None:
            self.jobs.covers.delete(self.owner, ref.photo_id, '.jpg')
        self.photo_section.refresh()
        self._refresh_cover_inputs()

    # --- step 3: cover ----------------------------------------------------------------------------------

    def _refresh_cover_inputs(self) -> None:
        self.cover_panel.missing = [CATEGORY_TITLES.get(c, c).lower() for c in self.draft.missing_look()]
        # Sizes share their labels ("Medium"), so they say what they are.
        self.cover_panel.look_summary = [
            (f'{CATEGORY_TITLES[c]}: ' if c in ('BreastSize', 'ButtSize') else '') + self.label(c, self.draft.look[c])
            for c in self.draft.look_categories() if self.draft.look.get(c)]
        self.cover_panel.selected = self.draft.selected_cover_job

    def _cover_request(self) -> CoverRequest:
        draft = self.draft
        fields = {wire_field(c): draft.look.get(c) for c in draft.look_categories()}
        ref_id = draft.ref.ref_image_id if draft.ref is not None else None
        return CoverRequest(gender=draft.gender, refImageId=ref_id, **fields)  # type: ignore[arg-type]

    def generate(self) -> None:
        if self.draft.missing_look():
            ui.notify('Complete the look first.', type='warning')
            return
        ref = self.draft.ref
        if ref is not None and not ref.has_face and not ref.acknowledged:
            ui.notify('Decide about the reference photo first: continue anyway or remove it.', type='warning')
            self.go('photo')
            return
        try:
            self._start_cover(self._cover_request())
        except ValidationError as error:
            ui.notify(_validation_text(error), type='negative')

    def regenerate(self, job_id: str) -> None:
        job = self.jobs.get(self.owner, job_id)
        if job is None:
            return
        self._start_cover(job.cover_request())

    def _start_cover(self, request: CoverRequest) -> None:
        owner, drafts = self.owner, self.drafts

        def show_new_cover(job: Job) -> None:  # runs in the job, even if no tab is open
            drafts.update(owner, selected_cover_job=job.id)

        try:
            self.jobs.start_cover(self.principal, request, on_success=show_new_cover)
        except LimitExceeded as error:
            ui.notify(error.user_message, type='warning', multi_line=True, timeout=8000)
            return
        ui.notify('Generating your cover. Meanwhile, fill in the details.', type='info')
        self._jobs_changed()

    def cancel_cover(self, job_id: str) -> None:
        if self.jobs.cancel(self.owner, job_id):
            ui.notify('Generation cancelled.')

    def select_cover(self, job_id: str) -> None:
        self.draft.selected_cover_job = job_id
        self.save()
        self._refresh_cover_inputs()
        self.cover_panel.render.refresh()
        self.create_section.refresh()

    def _selected_cover(self) -> Job | None:
        job = self.jobs.get(self.owner, self.draft.selected_cover_job)
        return job if job is not None and job.kind == 'cover' and job.status == 'done' else None

    def _ensure_selected_cover(self) -> None:
        if self._selected_cover() is None:
            covers = [j for j in self.jobs.jobs_for(self.owner, 'cover') if j.status == 'done' and j.has_image]
            usable = [j for j in covers if j.usable()]
            choice = (usable or covers or [None])[0]
            new = choice.id if choice else None
            if new != self.draft.selected_cover_job:
                self.draft.selected_cover_job = new
                self.save()

    # --- step 4: details --------------------------------------------------------------------------------

    @ui.refreshable_method
    def details_section(self) -> None:
        draft = self.draft
        with ui.element('div').classes('grid grid-cols-1 lg:grid-cols-2 gap-6 w-full'):
            with ui.column().classes('gap-3 w-full'):
                ui.label('Name and personality').classes('text-lg font-semibold')
                ui.input('Name', value=draft.name, on_change=self._name_changed,
                         validation={'A name is required': lambda v: bool((v or '').strip()),
                                     'At most 40 characters': lambda v: len((v or '').strip()) <= 40,
                                     BIDI_REFUSED: lambda v: not bidi_controls_in(v or '')}) \
                    .props('outlined counter maxlength=40').classes('w-full').mark('name')
                voices = self._choices('Voice')
                if not draft.gender:
                    ui.label('Choose a gender on the Look step to see the voices.').classes('text-sm text-slate-500')
                ui.select(voices, value=draft.voice if draft.voice in voices else None, label='Voice',
                          on_change=lambda e: self._detail_changed('voice', e.value)) \
                    .props('outlined options-dense').classes('w-full').mark('voice')
                with ui.column().classes('gap-1'):
                    ui.label('Language the agent speaks').classes('text-sm text-slate-600')
                    ui.toggle(LANGUAGES, value=draft.language,
                              on_change=lambda e: self._detail_changed('language', e.value)) \
                        .props('no-caps unelevated toggle-color=primary').mark('language')
                for name in OPTIONAL_DETAILS:
                    category = name.capitalize()
                    choices = self._choices(category)
                    ui.select(choices, value=getattr(draft, name) if getattr(draft, name) in choices else None,
                              label=f'{CATEGORY_TITLES[category]} (optional)', clearable=True,
                              on_change=lambda e, n=name: self._detail_changed(n, e.value)) \
                        .props('outlined options-dense').classes('w-full').mark(name)
            with ui.column().classes('gap-2 w-full'):
                ui.label('Review').classes('text-lg font-semibold')
                self.review()

    def _choices(self, category: str) -> dict[str, str]:
        options: list[Option] = self.options.get(category, [])
        return {o.code: o.display for o in options}

    def _name_changed(self, event: events.ValueChangeEventArguments) -> None:
        self.draft.name = event.value or ''
        self.save()
        # Typing fires on every key: the review and Create button catch up on the next tick, not per key.
        self.review_stale = True

    def _detail_changed(self, name: str, value: str | None) -> None:
        if getattr(self.draft, name) == value:
            return
        setattr(self.draft, name, value or None if name != 'language' else value)
        self.save()
        self.review.refresh()
        self.create_section.refresh()

    @ui.refreshable_method
    def review(self) -> None:
        draft = self.draft
        cover = self._selected_cover()
        look = cover.cover_request() if cover is not None else None
        rows = [('Gender', (draft.gender or '—').capitalize())]
        for category in draft.look_categories():
            rows.append((CATEGORY_TITLES[category], self.label(category, draft.look.get(category))))
        rows.append(('Reference photo', 'None' if draft.ref is None else
                     ('Face found' if draft.ref.has_face else 'No face (used anyway)')))
        rows += [('Name', draft.name.strip() or '—'), ('Voice', self.label('Voice', draft.voice)),
                 ('Language', LANGUAGES.get(draft.language, draft.language))]
        for name in OPTIONAL_DETAILS:
            rows.append((CATEGORY_TITLES[name.capitalize()], self.label(name.capitalize(), getattr(draft, name))))
        note = None
        if look is not None and self._look_differs(look):
            note = ('You changed the look after this cover was generated. The agent gets the look shown on the '
                    'cover; regenerate to use your new choices.')
        cover_url = self.signer.url(self.owner, 'cover', cover.id) if cover is not None and cover.has_image else None
        review_summary(rows, cover_url, expired=cover is not None and not cover.usable(), note=note)

    def _look_differs(self, cover_look: CoverRequest) -> bool:
        try:
            return self._cover_request().model_dump(exclude={'refImageId'}) != cover_look.model_dump(
                exclude={'refImageId'})
        except ValidationError:
            return True

    # --- step 5: create ---------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        draft = self.draft
        found = []
        if draft.missing_look():
            found.append('Complete the look: ' + ', '.join(CATEGORY_TITLES.get(c, c).lower()
                                                          for c in draft.missing_look()) + '.')
        cover = self._selected_cover()
        running = any(j.running for j in self.jobs.jobs_for(self.owner, 'cover'))
        if cover is None:
            found.append('Wait for the cover to finish.' if running else 'Generate a cover.')
        elif cover.used_for:
            found.append(f'The chosen cover was already used for {cover.used_for}. Generate a new one.')
        elif not cover.usable():
            found.append(EXPIRED_COVER)
        if not draft.name.strip():
            found.append('Give your character a name.')
        elif problem := bidi_problem(draft.name, 'The character name'):
            found.append(problem)
        if not draft.voice:
            found.append('Choose a voice.')
        return found

    @ui.refreshable_method
    def create_section(self) -> None:
        job = self.jobs.get(self.owner, self.draft.create_job)
        if job is not None and job.status == 'done':
            self._success(job)
            return
        ui.label('Review and create').classes('text-lg font-semibold')
        if job is not None and job.running:
            with ui.card().classes('w-full bg-violet-50 border border-violet-200 shadow-none').props('flat') \
                    .mark('create-running'):
                with ui.row().classes('items-center gap-3 no-wrap'):
                    ui.spinner('dots', size='2rem', color='primary')
                    ui.label(f'Creating {job.request.get("name", "your agent")}… the platform is writing the '
                             f'personality and opening line.').classes('text-sm')
            return
        if job is not None and job.status in ('failed', 'interrupted'):
            error_box(job.error_message or 'Unknown error.', job.trace_id, title='The agent was not created')
        if self.create_error is not None:
            error_box(self.create_error[0], self.create_error[1], title='The agent was not created')
        self.review()
        problems = self.problems()
        for problem in problems:
            with ui.row().classes('items-center gap-2 text-sm text-amber-800 no-wrap'):
                ui.icon('error_outline').classes('text-lg')
                ui.label(problem).mark('create-problem')
        ui.button('Create agent', icon='rocket_launch', on_click=self.create) \
            .props('unelevated no-caps size=lg').classes('px-8 mt-2').mark('create-agent') \
            .set_enabled(not problems)

    def create(self) -> None:
        if self.problems():
            self.create_section.refresh()
            return
        draft = self.draft
        cover = self._selected_cover()
        assert cover is not None
        try:
            request = CreateAgentRequest(
                **cover.cover_request().model_dump(exclude_none=True), coverId=cover.cover_id, name=draft.name.strip(),
                voiceId=draft.voice, language=draft.language,
                **{name: getattr(draft, name) for name in OPTIONAL_DETAILS if getattr(draft, name)})
        except ValidationError as error:
            self.create_error = (_validation_text(error), None)
            self.create_section.refresh()
            return
        owner, drafts = self.owner, self.drafts

        def after_create(job: Job) -> None:  # runs in the job, even if this tab is gone
            drafts.clear(owner, create_job=job.id, step='create')

        try:
            job = self.jobs.start_create(self.principal, request, cover_job_id=cover.id, on_success=after_create)
        except JobRefused as error:
            self.create_error = (error.user_message, None)
            self.create_section.refresh()
            return
        self.create_error = None
        self.draft.create_job = job.id
        self.save()
        self.create_section.refresh()

    def _success(self, job: Job) -> None:
        with ui.card().classes('w-full border border-emerald-200 bg-emerald-50 shadow-none').props('flat') \
                .mark('create-success'):
            with ui.row().classes('w-full gap-6 items-start'):
                source = self.jobs.cover_path(self.owner, job.source_cover_job or '')
                url = self.signer.url(self.owner, 'cover', job.source_cover_job) if source else job.cover_url
                if url:
                    ui.image(url).classes('w-full sm:w-64 rounded-xl shadow').props('fit=contain')
                with ui.column().classes('gap-2 grow'):
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('celebration', color='positive').classes('text-3xl')
                        ui.label(f'{job.agent_name} is ready').classes('text-2xl font-bold').mark('created-name')
                    ui.label('Your agent was created and is now listed with your agents.').classes('text-sm')
                    with ui.row().classes('items-center gap-2'):
                        ui.label('Agent id').classes('text-xs text-slate-500')
                        ui.label(job.agent_id or '').classes('font-mono text-sm').mark('created-id')
                    with ui.row().classes('gap-2 mt-2'):
                        ui.button('See your agents', icon='groups', on_click=lambda: ui.navigate.to('/agents')) \
                            .props('unelevated no-caps').mark('to-agents')
                        ui.button('Create another', icon='add', on_click=self._start_over) \
                            .props('outline no-caps').mark('create-another')

    def _start_over(self) -> None:
        self.draft.create_job = None
        self.draft.step = 'look'
        self.save()
        self.stepper.value = 'look'
        self.create_section.refresh()


def _validation_text(error: ValidationError) -> str:
    messages = []
    for item in error.errors():
        text = str(item.get('msg', ''))
        messages.append(text.removeprefix('Value error, '))
    return ' '.join(messages) or 'Some choices are missing.'
