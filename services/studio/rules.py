"""The rules of building a character, as plain functions of the draft, the options loaded for it and the jobs.

No state and no UI: services.studio.studio applies them for a page, tests can call them directly.
"""

from __future__ import annotations

from pydantic import ValidationError

from services.core import i18n
from services.core.i18n import N_, _, format_list
from services.core.text import bidi_problem
from services.platform.models import CoverRequest, CreateAgentRequest, Options
from services.studio import catalogue
from services.studio.catalogue import OPTIONAL_DETAILS
from services.studio.drafts import Draft
from services.studio.jobs import Job
from services.studio.messages import expired_cover

# The languages option labels can be shown in, which are also the languages an agent can speak.
LANGUAGES = i18n.LANGUAGES
NONE_CHOSEN = '—'
LOOK_CHANGED_NOTE = N_('You changed the look after this cover was generated. The agent gets the look shown on the '
                       'cover; regenerate to use your new choices.')


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
    return [_('{category}: {choice}').format(category=catalogue.title(c), choice=label(options, c, draft.look[c]))
            if c in ('BreastSize', 'ButtSize') else label(options, c, draft.look[c])
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
        cleared.append(catalogue.title('Voice').lower())
    for name in OPTIONAL_DETAILS:
        value = getattr(draft, name)
        if value and value not in codes(catalogue.by_draft_field(name).code):
            setattr(draft, name, None)
            cleared.append(catalogue.title(catalogue.by_draft_field(name).code).lower())
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


def problems(draft: Draft, cover: Job | None, *, cover_running: bool) -> list[str]:
    """Why the agent cannot be created yet, one sentence each; empty when it can."""
    found = []
    if draft.missing_look():
        found.append(_('Complete the look: {missing}.').format(missing=format_list(missing_titles(draft))))
    if cover is None:
        found.append(_('Wait for the cover to finish.') if cover_running else _('Generate a cover.'))
    elif cover.used_for:
        found.append(_('The chosen cover was already used for {agent}. Generate a new one.').format(
            agent=cover.used_for))
    elif not cover.usable():
        found.append(expired_cover())
    if not draft.name.strip():
        found.append(_('Give your character a name.'))
    elif problem := bidi_problem(draft.name, N_('The character name')):
        found.append(problem)  # invisible, and it would reorder whatever is shown after the name
    if not draft.voice:
        found.append(_('Choose a voice.'))
    return found


def review_rows(draft: Draft, options: Options) -> list[tuple[str, str]]:
    """Every choice with its label, in the order the steps ask for them."""
    rows = [(_('Gender'), gender_words(draft.gender))]
    for category in draft.look_categories():
        rows.append((catalogue.title(category), label(options, category, draft.look.get(category))))
    rows.append((_('Reference photo'), _('None') if draft.ref is None else
                 (_('Face found') if draft.ref.has_face else _('No face (used anyway)'))))
    rows += [(_('Name'), draft.name.strip() or NONE_CHOSEN),
             (catalogue.title('Voice'), label(options, 'Voice', draft.voice)),
             (_('Language'), LANGUAGES.get(draft.language, draft.language))]
    for name in OPTIONAL_DETAILS:
        detail = catalogue.by_draft_field(name)
        rows.append((catalogue.title(detail.code), label(options, detail.code, getattr(draft, name))))
    return rows


GENDERS = {'female': N_('Female'), 'male': N_('Male')}


def gender_words(gender: str | None) -> str:
    return _(GENDERS[gender]) if gender in GENDERS else (gender or NONE_CHOSEN).capitalize()


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
    return ' '.join(messages) or _('Some choices are missing.')


def preferred_language(header: str | None) -> str:
    """The most preferred of en/zh/ja in an Accept-Language header ("ja-JP,ja;q=0.9,en;q=0.8" -> "ja")."""
    return i18n.negotiate(header) or 'en'
