"""The rules of building a character, as plain functions of the draft, the options loaded for it and the jobs.

No state and no UI: services.studio.studio applies them for a page, tests can call them directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from pydantic import ValidationError

from services.core import i18n
from services.core.i18n import N_, _, format_list
from services.core.text import bidi_problem, characters
from services.platform.models import CoverRequest, CreateAgentRequest, Gender, Language, Option, Options
from services.studio import catalogue
from services.studio.catalogue import OPTIONAL_DETAILS
from services.studio.drafts import Draft
from services.studio.jobs import Job
from services.studio.messages import expired_cover

# The languages option labels can be shown in, which are also the languages an agent can speak.
LANGUAGES = i18n.LANGUAGES
NONE_CHOSEN = '—'
_SNAKE_CODE = re.compile(r'[a-z][a-z0-9]*(?:_[a-z0-9]+)*')
# The longest name the platform takes. docs/platform-api.md documents no limit for `name` at all; the sandbox, the
# stand-in for the platform, refuses a name longer than 40 after trimming and counts with Python's len(), that is in
# Unicode code points (sandbox/validation.py NAME_MAX). So the limit checked before sending stays 40 code points,
# while the counter a person sees counts characters as they see them (grapheme clusters: an emoji counts once). The
# two differ only for names with emoji or combining marks, which may then be refused below 40 characters shown;
# name_problem says why.
NAME_MAX = 40
LOOK_CHANGED_NOTE = N_('You changed the look after this cover was generated. The agent gets the look shown on the '
                       'cover; regenerate to use your new choices.')


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
        return '; '.join(_('{title}: {on_cover} on the cover, {now} now').format(
            title=c.title, on_cover=c.on_cover, now=c.now) for c in self.changes) + '.'


def label(options: Options, category: str, code: str | None) -> str:
    """The option's label in the loaded language; its code, in words, when the options do not know it."""
    if not code:
        return NONE_CHOSEN
    option = next((o for o in options.get(category, []) if o.code == code), None)
    return readable(option) if option else code_in_words(code)


def readable(option: Option) -> str:
    """What a person reads for an option: its label. A label that is only the code (the contract's last fallback,
    e.g. 'vtuber') is shown in words; the code sent to the platform stays the code."""
    text = option.display
    return code_in_words(text) if text == option.code else text


def code_in_words(code: str) -> str:
    """'east_asian' -> 'East asian'. Anything that is not a lower-case snake_case code ('18-25', 'Mia') is kept."""
    if not _SNAKE_CODE.fullmatch(code):
        return code
    return code.replace('_', ' ').capitalize()


def choices(options: Options, category: str) -> dict[str, str]:
    """code -> label, for a select."""
    return {o.code: readable(o) for o in options.get(category, [])}


def name_length(name: str) -> int:
    """The name's length as a person counts it: characters seen (grapheme clusters) after trimming."""
    return characters(name.strip())


def name_problem(name: str) -> str | None:
    """Why the platform would refuse the name's length, as a sentence; None when it is short enough."""
    trimmed = name.strip()
    if len(trimmed) <= NAME_MAX:  # code points: what the platform counts (see NAME_MAX)
        return None
    if name_length(trimmed) > NAME_MAX:
        return _('At most {limit} characters.').format(limit=NAME_MAX)
    return _('The platform counts some emoji and accented letters as several characters: {count} here, at most '
             '{limit}. Remove an emoji or two.').format(count=len(trimmed), limit=NAME_MAX)


def missing_titles(draft: Draft) -> list[str]:
    """The look categories still to choose, as a sentence names them ('body type')."""
    # No gender yet is missing too ('Gender' is not one of the platform's categories, so it is worded here).
    return [(_('Gender') if c == 'Gender' else catalogue.title(c)).lower() for c in draft.missing_look()]


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
        changes.append(LookChange(_('Gender'), gender_words(gender), gender_words(draft.gender)))
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
    elif problem := name_problem(draft.name):
        found.append(_('The name is too long. {problem}').format(problem=problem))
    if not draft.voice:
        found.append(_('Choose a voice.'))
    return found


def review_groups(draft: Draft, options: Options,
                  cover: Job | None = None) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Every choice with its label, grouped by the step that asks for it: (step, step title, rows). Exactly what the
    agent will get: with a chosen cover the look and the photo are the cover's (create_request sends those),
    whatever the draft says now (`look_drift` tells what differs). A cover that can no longer be used shows no look
    of its own."""
    if cover is not None and not cover.usable():
        cover = None  # used or expired: no agent gets it, so the review shows the look chosen now
    gender, chosen = cover_look(cover) if cover is not None else (draft.gender, draft.look)
    look = [(_('Gender'), gender_words(gender))]
    look += [(catalogue.title(c), label(options, c, chosen.get(c))) for c in catalogue.look_categories(gender)]
    ref_id = cover.request.get('refImageId') if cover is not None else None
    if cover is not None and ref_id != (draft.ref.ref_image_id if draft.ref is not None else None):
        shown = _('The one the cover was made with (since changed)') if ref_id else \
            _('None (the cover was made without)')
    else:
        shown = _('None') if draft.ref is None else \
            (_('Face found') if draft.ref.has_face else _('No face (used anyway)'))
    photo = [(_('Reference photo'), shown)]
    details = [(_('Name'), draft.name.strip() or NONE_CHOSEN),
               (catalogue.title('Voice'), label(options, 'Voice', draft.voice)),
               (_('Language'), LANGUAGES.get(draft.language, draft.language))]
    for name in OPTIONAL_DETAILS:
        detail = catalogue.by_draft_field(name)
        details.append((catalogue.title(detail.code), label(options, detail.code, getattr(draft, name))))
    return [('look', _('Look'), look), ('photo', _('Reference photo'), photo), ('details', _('Details'), details)]


def review_rows(draft: Draft, options: Options, cover: Job | None = None) -> list[tuple[str, str]]:
    """Every choice with its label, in the order the steps ask for them (see review_groups)."""
    return [row for _step, _title, rows in review_groups(draft, options, cover) for row in rows]


GENDERS = {'female': N_('Female'), 'male': N_('Male')}


def gender_words(gender: str | None) -> str:
    return _(GENDERS[gender]) if gender in GENDERS else (gender or NONE_CHOSEN).capitalize()


def steps_done(draft: Draft, cover: Job | None, created: Job | None = None) -> dict[str, bool]:
    """Which steps are complete by their content, not merely because a later one is open.

    Creating empties the draft for the next character, so by their content every step would be undone the moment
    the agent is made; while the success is shown (`created` is the draft's create job, done, and the Create step
    is open) the whole journey is complete instead."""
    if created is not None and created.kind == 'create' and created.status == 'done' and draft.step == 'create':
        return {step: True for step in ('look', 'photo', 'cover', 'details', 'create')}
    ref = draft.ref
    return {
        'look': not draft.missing_look(),
        'photo': bool(ref.has_face or ref.acknowledged) if ref is not None else draft.photo_skipped,
        'cover': cover is not None and cover.usable(),
        'details': bool(draft.name.strip() and draft.voice),
        'create': False,  # said explicitly: after "Create another" the check mark of the last success goes
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


def start_in_language(draft: Draft, language: str) -> None:
    """A new draft starts in the interface language: its option labels and the agent's language (both still
    changeable). The agent's language also when a created agent emptied the draft (which keeps the label
    language): a draft with nothing chosen yet has no language chosen either."""
    if language not in LANGUAGES:
        return
    if draft.version == 0:
        draft.options_language = language
    if draft.version == 0 or (draft.gender is None and not draft.look and not draft.name and draft.voice is None
                              and draft.ref is None):
        draft.language = cast(Language, language)
