"""The rules of building a character, as plain functions of the draft, the options loaded for it and the jobs.

No state and no UI: services.studio.studio applies them for a page, tests can call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from services.core.text import bidi_problem
from services.platform.models import CoverRequest, CreateAgentRequest, Gender, Options
from services.studio import catalogue
from services.studio.catalogue import OPTIONAL_DETAILS
from services.studio.drafts import Draft
from services.studio.jobs import Job
from services.studio.messages import EXPIRED_COVER

# The languages option labels can be shown in, which are also the languages an agent can speak.
LANGUAGES = {'en': 'English', 'zh': '中文', 'ja': '日本語'}
NONE_CHOSEN = '—'
LOOK_CHANGED_NOTE = ('You changed the look after this cover was generated: the look above is the cover\'s, which '
                     'the agent gets. To use your new choices, generate a cover for them on the Cover step.')


@dataclass(frozen=True)
class LookChange:
    title: str  # 'Hair colour'
    on_cover: str  # the label the cover was painted with ('—' when the cover has no such choice)
    now: str  # the label chosen now


@dataclass(frozen=True)
class LookDrift:
    """The chosen cover was painted for another look than the one chosen now; the agent would get the cover's."""

    changes: tuple[LookChange, ...]

    def sentence(self) -> str:
        return '; '.join(f'{c.title}: {c.on_cover} on the cover, {c.now} now' for c in self.changes) + '.'


def label(options: Options, category: str, code: str | None) -> str:
    """The option's label in the loaded language; its code when the options do not know it."""
    if not code:
        return NONE_CHOSEN
    option = next((o for o in options.get(category, []) if o.code == code), None)
    return option.display if option else code


def choices(options: Options, category: str) -> dict[str, str]:
    """code -> label, for a select."""
    return {o.code: o.display for o in options.get(category, [])}


def missing_titles(draft: Draft) -> list[str]:
    """The look categories still to choose, as a sentence names them ('body type')."""
    return [catalogue.title(c).lower() for c in draft.missing_look()]


def look_summary(draft: Draft, options: Options) -> list[str]:
    """The chosen look, one short text per choice. Sizes share their labels ("Medium"), so they say what they are."""
    return [(f'{catalogue.title(c)}: ' if c in ('BreastSize', 'ButtSize') else '') + label(options, c, draft.look[c])
            for c in draft.look_categories() if draft.look.get(c)]


def clear_unavailable(draft: Draft, options: Options) -> list[str]:
    """Drop every choice the options no longer offer (another gender's); returns what was dropped, by name."""
    def codes(category: str) -> set[str]:
        return {o.code for o in options.get(category, [])}

    cleared = []
    allowed = set(draft.look_categories())
    for category, code in list(draft.look.items()):
        if category not in allowed or code not in codes(category):
            del draft.look[category]
            if category in allowed:
                cleared.append(catalogue.title(category).lower())
    if draft.voice and draft.voice not in codes('Voice'):
        draft.voice = None
        cleared.append('voice')
    for name in OPTIONAL_DETAILS:
        value = getattr(draft, name)
        if value and value not in codes(catalogue.by_draft_field(name).code):
            setattr(draft, name, None)
            cleared.append(name)
    return cleared


def cover_request(draft: Draft) -> CoverRequest:
    """What the platform is asked to paint. Raises ValidationError when the look is incomplete."""
    fields = {catalogue.wire_field(c): draft.look.get(c) for c in draft.look_categories()}
    ref_id = draft.ref.ref_image_id if draft.ref is not None else None
    return CoverRequest(gender=draft.gender, refImageId=ref_id, **fields)  # type: ignore[arg-type]


def create_request(draft: Draft, cover: Job) -> CreateAgentRequest:
    """The agent as the platform creates it: the look *of the cover* (which may differ from the draft's by now),
    the cover itself and the details. Raises ValidationError."""
    return CreateAgentRequest.model_validate({
        **cover.cover_request().model_dump(exclude_none=True), 'coverId': cover.cover_id, 'name': draft.name.strip(),
        'voiceId': draft.voice, 'language': draft.language,
        **{name: getattr(draft, name) for name in OPTIONAL_DETAILS if getattr(draft, name)}})


def look_differs(draft: Draft, cover: Job) -> bool:
    """Whether the look was changed after this cover was painted (the photo does not count)."""
    try:
        return cover_request(draft).model_dump(exclude={'refImageId'}) != cover.cover_request().model_dump(
            exclude={'refImageId'})
    except ValidationError:
        return True


def cover_look(cover: Job) -> tuple[Gender, dict[str, str]]:
    """The gender and the look (category -> code) a cover was painted with: what an agent made with it gets."""
    request = cover.cover_request()
    look = {c: code for c in catalogue.look_categories(request.gender)
            if (code := getattr(request, catalogue.wire_field(c), None))}
    return request.gender, look


def look_drift(draft: Draft, cover: Job | None, options: Options) -> LookDrift | None:
    """How the look chosen now differs from the chosen cover's, choice by choice; None when it does not (or there
    is no cover). A photo changed since does not count: it shows in the review's photo row."""
    if cover is None or not cover.usable() or not look_differs(draft, cover):
        return None  # a cover used or expired is no agent's any more: problems() says to generate a new one
    gender, look = cover_look(cover)
    changes = []
    if draft.gender != gender:
        changes.append(LookChange('Gender', gender.capitalize(), (draft.gender or NONE_CHOSEN).capitalize()))
    for category in catalogue.LOOK_CATEGORIES:
        if look.get(category) != draft.look.get(category) and (category in look or
                                                               category in draft.look_categories()):
            changes.append(LookChange(catalogue.title(category), label(options, category, look.get(category)),
                                      label(options, category, draft.look.get(category))))
    return LookDrift(tuple(changes))


def problems(draft: Draft, cover: Job | None, *, cover_running: bool) -> list[str]:
    """Why the agent cannot be created yet, one sentence each; empty when it can."""
    found = []
    if draft.missing_look():
        found.append('Complete the look: ' + ', '.join(missing_titles(draft)) + '.')
    if cover is None:
        found.append('Wait for the cover to finish.' if cover_running else 'Generate a cover.')
    elif cover.used_for:
        found.append(f'The chosen cover was already used for {cover.used_for}. Generate a new one.')
    elif not cover.usable():
        found.append(EXPIRED_COVER)
    if not draft.name.strip():
        found.append('Give your character a name.')
    elif problem := bidi_problem(draft.name, 'The character name'):
        found.append(problem)  # invisible, and it would reorder whatever is shown after the name
    if not draft.voice:
        found.append('Choose a voice.')
    return found


def review_rows(draft: Draft, options: Options, cover: Job | None = None) -> list[tuple[str, str]]:
    """Every choice with its label, in the order the steps ask for them: exactly what the agent will get. With a
    chosen cover the look and the photo are the cover's (create_request sends those), whatever the draft says now;
    `look_drift` tells what differs. A cover that can no longer be used shows no look of its own."""
    if cover is not None and not cover.usable():
        cover = None  # used or expired: no agent gets it, so the review shows the look chosen now
    gender, look = cover_look(cover) if cover is not None else (draft.gender, draft.look)
    ref_id = cover.request.get('refImageId') if cover is not None else None
    rows = [('Gender', (gender or NONE_CHOSEN).capitalize())]
    for category in catalogue.look_categories(gender):
        rows.append((catalogue.title(category), label(options, category, look.get(category))))
    if cover is not None and ref_id != (draft.ref.ref_image_id if draft.ref is not None else None):
        photo = 'The one the cover was made with (since changed)' if ref_id else 'None (the cover was made without)'
    else:
        photo = 'None' if draft.ref is None else ('Face found' if draft.ref.has_face else 'No face (used anyway)')
    rows.append(('Reference photo', photo))
    rows += [('Name', draft.name.strip() or NONE_CHOSEN), ('Voice', label(options, 'Voice', draft.voice)),
             ('Language', LANGUAGES.get(draft.language, draft.language))]
    for name in OPTIONAL_DETAILS:
        detail = catalogue.by_draft_field(name)
        rows.append((detail.title, label(options, detail.code, getattr(draft, name))))
    return rows


def steps_done(draft: Draft, cover: Job | None) -> dict[str, bool]:
    """Which steps are complete by their content, not merely because a later one is open."""
    ref = draft.ref
    return {
        'look': not draft.missing_look(),
        'photo': bool(ref.has_face or ref.acknowledged) if ref is not None else draft.photo_skipped,
        'cover': cover is not None and cover.usable(),
        'details': bool(draft.name.strip() and draft.voice),
    }


def default_cover(covers: list[Job]) -> str | None:
    """The cover to choose when none is: the newest usable one, else the newest (to show why it cannot be used)."""
    shown = [j for j in covers if j.kind == 'cover' and j.status == 'done' and j.has_image]
    usable = [j for j in shown if j.usable()]
    return usable[0].id if usable else shown[0].id if shown else None


def validation_text(error: ValidationError) -> str:
    messages = [str(item.get('msg', '')).removeprefix('Value error, ') for item in error.errors()]
    return ' '.join(messages) or 'Some choices are missing.'


def preferred_language(header: str | None) -> str:
    """The first of en/zh/ja in an Accept-Language header ("ja-JP,ja;q=0.9,en;q=0.8" -> "ja")."""
    for part in (header or '').split(','):
        code = part.split(';')[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return 'en'
