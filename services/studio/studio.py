"""One person's studio as one page sees it: every action of Look → Reference photo → Cover → Details → Create,
with the rules (services.studio.rules) applied and no UI.

What the person chooses is their draft (services.studio.drafts), shared by all their tabs and saved on every
change; covers and the agent are jobs (services.studio.jobs) that outlive the page. What belongs to this page
alone is kept here: the options loaded for the draft and the last refusal of a create. Two steps keep their own
page state in parts of their own: `studio.photo` (services.studio.photo_step: a photo being checked) and
`studio.compare` (services.studio.compare: the covers ticked and shown side by side).

Every change this object makes is announced through `on_change`, as NiceGUI's examples/todo_list model does;
the page then redraws what changed. Changes made elsewhere (another tab, a finished job) show in `stamp()`,
which the page compares when a job tells it and on its timer.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from pydantic import ValidationError

from services.auth.sessions import Principal
from services.core.errors import UserFacingError
from services.core.i18n import _
from services.platform.client import PlatformClient
from services.platform.errors import PlatformError
from services.platform.models import CoverRequest, Gender, Options
from services.studio import catalogue, rules
from services.studio import covers as cover_rules
from services.studio.catalogue import OPTIONAL_DETAILS
from services.studio.compare import Comparison
from services.studio.covers import CoverBoard, Variations
from services.studio.drafts import STEPS, Draft, DraftStore
from services.studio.jobs import Job, JobManager, JobRefused
from services.studio.limits import LimitExceeded
from services.studio.options_cache import OptionsCache
from services.studio.photo_step import PhotoStep, Refusal


class NotReady(UserFacingError):
    """The studio cannot do that yet; `user_message` says why, `step` is where to fix it (if elsewhere)."""

    def __init__(self, user_message: str, *, step: str | None = None) -> None:
        super().__init__(user_message)
        self.step = step


class InvalidChoices(UserFacingError):
    """The choices would be refused by the platform (checked before asking it); `user_message` says why."""


class Studio:
    def __init__(self, principal: Principal, *, drafts: DraftStore, jobs: JobManager, options: OptionsCache,
                 platform: PlatformClient, max_upload_bytes: int, on_change: Callable[[], None] | None = None,
                 on_create: Callable[[Principal, Job], None] | None = None) -> None:
        self.principal = principal
        self.owner = principal.owner_id
        self._drafts = drafts
        self._jobs = jobs
        self._options = options
        self.on_change = on_change
        self.on_create = on_create  # the library records who made the agent (services/studio/library.py)
        self.draft: Draft = drafts.get(self.owner)  # the same object in every tab of this person
        self.options: Options = {}
        self.options_for: tuple[str | None, str] | None = None  # (gender, language) of `options`
        self.options_tried: tuple[str | None, str] | None = None  # the last asked for, loaded or failed
        self.options_loading_for: tuple[str | None, str] | None = None
        self.options_error: PlatformError | None = None
        self.photo = PhotoStep(principal, self.draft, platform=platform, images=jobs.images,
                               max_upload_bytes=max_upload_bytes, save=self._save, changed=self._changed)
        self.compare = Comparison(self.owner, self.draft, jobs, save=self._save, changed=self._changed,
                                  select=self.select_cover)
        self.create_error: Refusal | None = None
        self.version = 0  # moves on every change announced by this object
        self._settled_jobs: int | None = None

    # --- what changed -------------------------------------------------------------------------------------

    def stamp(self) -> tuple[object, ...]:
        """Differs whenever anything a page shows may have changed, here or elsewhere: this page's state, the
        shared draft, the person's jobs, or the chosen cover's validity (it expires by the clock alone)."""
        cover = self.selected_cover()
        validity = (cover.id, cover.usable(), cover.expiring_soon()) if cover else None
        return self.version, self.draft.version, self.jobs_version(), validity, self.dismissed_usable()

    def dismissed_usable(self) -> tuple[str, ...]:
        """The dismissed covers still usable: one that expires leaves the Dismissed list by the clock alone."""
        jobs = (self._jobs.get(self.owner, job_id) for job_id in self.draft.dismissed_covers)
        return tuple(job.id for job in jobs if job is not None and job.usable())

    def settle(self) -> None:
        """After the person's jobs changed: keep a cover chosen whenever there is one (a finished cover chooses
        itself; this covers a chosen cover that is gone, and the first visit after a restart)."""
        version = self.jobs_version()
        if version == self._settled_jobs:
            return
        self._settled_jobs = version
        if self.selected_cover() is None:
            jobs = self._jobs.jobs_for(self.owner, 'cover')
            kept = [j for j in jobs if j.id not in self.draft.dismissed_covers]
            choice = rules.default_cover(kept) or rules.default_cover(jobs)
            if choice != self.draft.selected_cover_job:
                self.draft.selected_cover_job = choice
                self._save()

    def jobs_version(self) -> int:
        return self._jobs.version(self.owner)

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Hear of every change to this person's jobs, and of their draft changed on another instance (called
        inside the job or the change notifier: only schedule work). Returns the function that stops both."""
        stop_jobs = self._jobs.subscribe(self.owner, callback)
        stop_draft = self._drafts.subscribe(self.owner, callback)

        def unsubscribe() -> None:
            stop_jobs()
            stop_draft()

        return unsubscribe

    def _save(self) -> None:
        self._drafts.save(self.owner)

    def _changed(self) -> None:
        self.version += 1
        if self.on_change is not None:
            self.on_change()

    # --- steps --------------------------------------------------------------------------------------------

    def go_to(self, step: str) -> None:
        if step in STEPS and self.draft.step != step:
            self.draft.step = step
            self._save()
            self._changed()

    def prefer_language(self, language: str) -> None:
        """A new draft starts in the interface language (rules.start_in_language; not saved until the person acts)."""
        rules.start_in_language(self.draft, language)

    def steps_done(self) -> dict[str, bool]:
        return rules.steps_done(self.draft, self.selected_cover(), self.create_job())

    # --- options and the look -----------------------------------------------------------------------------

    def needs_options(self) -> bool:
        """The draft's gender or label language changed (perhaps in another tab) since options were last asked
        for. A failed load is not retried by itself: the person sees why and chooses to try again."""
        wanted = (self.draft.gender, self.draft.options_language)
        return self.draft.gender is not None and wanted not in (self.options_tried, self.options_loading_for)

    @property
    def options_loading(self) -> bool:
        return self.options_loading_for is not None

    async def load_options(self) -> list[str]:
        """Load the options for the draft's gender and language; returns the choices they no longer offer, which
        are cleared from the draft."""
        wanted = (self.draft.gender, self.draft.options_language)
        gender, language = wanted
        self.options_loading_for = self.options_tried = wanted
        self.options_error = None
        self._changed()
        try:
            options = await self._options.get(self.principal.credentials, gender=gender, language=language)
        except PlatformError as error:
            if self.options_loading_for == wanted:
                self.options_error = error
                self.options_loading_for = None
                self._changed()
            return []
        if self.options_loading_for != wanted:
            # A newer load started meanwhile (another gender chosen, the cover's look restored): its options are
            # the draft's, and clearing by these would drop choices the draft's gender does offer.
            return []
        self.options, self.options_for, self.options_loading_for = options, wanted, None
        cleared = rules.clear_unavailable(self.draft, self.options)
        if cleared:
            self._save()
        self._changed()
        return cleared

    async def choose_gender(self, gender: Gender) -> list[str]:
        """Returns the choices the new gender does not offer, which are cleared."""
        if gender == self.draft.gender:
            return []
        self.draft.gender = gender
        self._save()
        return await self.load_options()

    async def choose_options_language(self, language: str) -> list[str]:
        if language == self.draft.options_language or language not in rules.LANGUAGES:
            return []
        self.draft.options_language = language
        self._save()
        if self.draft.gender:
            return await self.load_options()  # which tells of the change
        self._changed()
        return []

    def choose_look(self, category: str, code: str) -> None:
        self.draft.look[category] = code
        self._save()
        self._changed()

    def surprise_look(self) -> bool:
        """A random choice in every look category; False when there are no options to choose from."""
        if not self.options:
            return False
        for category in self.draft.look_categories():
            options = self.options.get(category, [])
            if options:
                self.draft.look[category] = random.choice(options).code
        self._save()
        self._changed()
        return True

    def label(self, category: str, code: str | None) -> str:
        return rules.label(self.options, category, code)

    def choices(self, category: str) -> dict[str, str]:
        return rules.choices(self.options, category)

    # --- the cover ----------------------------------------------------------------------------------------

    def missing_look(self) -> list[str]:
        return rules.missing_titles(self.draft)

    def look_summary(self) -> list[str]:
        return rules.look_summary(self.draft, self.options)

    def look_chips(self) -> list[str]:
        """The chosen look as the Cover step's chips: labels that could belong to two groups name theirs."""
        return cover_rules.look_chips(self.draft.look, self.draft.look_categories(), self.options)

    def cover_chips(self, job: Job) -> list[str]:
        """The look a cover was made with, as chips (a cover keeps its look when the draft's changes)."""
        gender, look = cover_rules.request_look(job.request)
        return cover_rules.look_chips(look, catalogue.look_categories(gender), self.options)

    async def generate_cover(self) -> Job:
        """Start painting a cover of the look as chosen. Raises NotReady (the look is incomplete, or the photo
        without a face is undecided), InvalidChoices, LimitExceeded (fair use: too many running, counted over
        every instance), JobRefused (this instance is restarting) or DatabaseUnavailable."""
        if self.draft.missing_look():
            raise NotReady(_('Complete the look first.'))
        ref = self.draft.ref
        if ref is not None and not ref.has_face and not ref.acknowledged:
            raise NotReady(_('Decide about the reference photo first: continue anyway or remove it.'), step='photo')
        try:
            request: CoverRequest = rules.cover_request(self.draft)
        except ValidationError as error:
            raise InvalidChoices(rules.validation_text(error)) from None
        job = await self._jobs.start_cover(self.principal, request)
        self._changed()
        return job

    async def regenerate(self, job_id: str) -> Job | None:
        """A new cover with the choices of an earlier one; None when that one is no longer known. Raises
        LimitExceeded, JobRefused while this instance drains, DatabaseUnavailable."""
        if self._jobs.get(self.owner, job_id) is None:
            return None
        job = await self._jobs.regenerate(self.principal, job_id)
        self._changed()
        return job

    async def generate_variations(self, job_id: str, count: int = 2) -> Variations:
        """`count` new covers with the look of an earlier one, started at once. The per-person limit still
        applies: when it stops the first, LimitExceeded is raised; when it stops a later one, what did start is
        returned with a message that says why the rest did not. JobRefused (this instance is restarting, or the
        cover is no longer known) and DatabaseUnavailable are raised when nothing started."""
        started: list[Job] = []
        message: str | None = None
        for _attempt in range(count):
            try:
                job = await self._jobs.regenerate(self.principal, job_id)
            except (LimitExceeded, JobRefused) as error:
                if not started:
                    raise
                message = cover_rules.variations_message(len(started), count, error.user_message)
                break
            started.append(job)
        if started:
            self._changed()
        return Variations(started, message)

    def cancel_cover(self, job_id: str) -> bool:
        return self._jobs.cancel(self.owner, job_id)

    def select_cover(self, job_id: str) -> None:
        """Choose a cover; a dismissed one comes back among the others."""
        self.draft.selected_cover_job = job_id
        if job_id in self.draft.dismissed_covers:
            self.draft.dismissed_covers = [j for j in self.draft.dismissed_covers if j != job_id]
        self._save()
        self._changed()

    def selected_cover(self) -> Job | None:
        job = self._jobs.get(self.owner, self.draft.selected_cover_job)
        return job if job is not None and job.kind == 'cover' and job.status == 'done' else None

    def cover_board(self) -> CoverBoard:
        return cover_rules.board(self._jobs.jobs_for(self.owner, 'cover'), self.draft.selected_cover_job,
                                 self.draft.dismissed_covers)

    def cover_file_known(self, job_id: str | None) -> bool:
        job = self._jobs.get(self.owner, job_id)
        return job is not None and job.has_image

    # --- details ------------------------------------------------------------------------------------------

    def rename(self, name: str) -> None:
        """Not announced: typing fires on every key, so the review and the Create button catch up with the
        name on the page's next tick rather than being redrawn per key."""
        if name != self.draft.name:
            self.draft.name = name
            self._save()

    def set_detail(self, name: str, value: str | None) -> None:
        """voice, language or one of the optional details."""
        if name not in ('voice', 'language', *OPTIONAL_DETAILS) or getattr(self.draft, name) == value:
            return
        setattr(self.draft, name, value if name == 'language' else value or None)
        self._save()
        self._changed()

    def review_groups(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """What the agent will get, by step: the chosen cover's look and photo, the draft's details."""
        return rules.review_groups(self.draft, self.options, self.selected_cover())

    def review_note(self) -> str | None:
        return _(rules.LOOK_CHANGED_NOTE) if self.look_drift() is not None else None

    # --- the look and the chosen cover drifting apart -----------------------------------------------------

    def look_drift(self) -> rules.LookDrift | None:
        """How the look chosen now differs from the chosen cover's (None: they match, or no cover is chosen)."""
        return rules.look_drift(self.draft, self.selected_cover(), self.options)

    async def restore_cover_look(self) -> list[str]:
        """Go back to the chosen cover's look (its gender and every look choice), so the agent, the review and
        the Look step agree with the cover again. Returns what the options of a restored gender no longer offer."""
        cover = self.selected_cover()
        if cover is None:
            return []
        gender, look = rules.cover_look(cover)
        gender_changed = gender != self.draft.gender
        self.draft.gender = gender
        self.draft.look = dict(look)
        self._save()
        if gender_changed:
            return await self.load_options()  # which tells of the change
        self._changed()
        return []

    # --- create -------------------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Why the agent cannot be created yet; empty when it can."""
        running = any(j.running for j in self._jobs.jobs_for(self.owner, 'cover'))
        return rules.problems(self.draft, self.selected_cover(), cover_running=running)

    def create_job(self) -> Job | None:
        return self._jobs.get(self.owner, self.draft.create_job)

    def create(self) -> Job | None:
        """Start creating the agent; None when it cannot be (then `problems()` or `create_error` says why).
        When it is created the job empties the draft for the next character."""
        cover = self.selected_cover()
        if self.problems() or cover is None:
            self._changed()
            return None
        try:
            request = rules.create_request(self.draft, cover)
            job = self._jobs.start_create(self.principal, request, cover_job_id=cover.id)
        except ValidationError as error:
            self.create_error = (rules.validation_text(error), None)
        except JobRefused as error:
            self.create_error = (error.user_message, None)
        else:
            self.create_error = None
            self.draft.create_job = job.id
            if self.on_create is not None:
                self.on_create(self.principal, job)
            self._save()
            self._changed()
            return job
        self._changed()
        return None

    def start_over(self) -> None:
        self.draft.create_job = None
        self.draft.step = 'look'
        self._save()
        self._changed()
