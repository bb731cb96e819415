"""The twelve option categories of the creation flow, once: how the platform names each, which request field
carries the chosen code, what a person reads, and where it belongs.

The platform's options answer is keyed by category code ('BodyType'); cover and create requests carry the
chosen option code in a camelCase field ('bodyType', but 'voiceId' for the voice); the draft keeps look choices
in `Draft.look` by category code and each detail in a field of its own ('voice', 'personality').
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.core.i18n import N_, _

CategoryKind = Literal['look', 'detail']


@dataclass(frozen=True)
class Category:
    code: str  # the key in the platform's options answer: 'BodyType'
    wire_field: str  # the cover/create request field holding the chosen option code: 'bodyType'
    title: str  # what a person reads: 'Body type' (marked with N_, translated by title())
    kind: CategoryKind  # 'look': chosen on the Look step, sent with the cover; 'detail': only sent on create
    female_only: bool = False  # offered and required for a female character only
    optional: bool = False  # a detail a person may leave empty
    draft_field: str | None = None  # the Draft attribute of a detail; None for a look (kept in Draft.look)


# In the order a person meets them.
CATEGORIES: tuple[Category, ...] = (
    Category('Age', 'age', N_('Age'), 'look'),
    Category('Ethnicity', 'ethnicity', N_('Ethnicity'), 'look'),
    Category('BodyType', 'bodyType', N_('Body type'), 'look'),
    Category('HairColor', 'hairColor', N_('Hair colour'), 'look'),
    Category('HairStyle', 'hairStyle', N_('Hair style'), 'look'),
    Category('BreastSize', 'breastSize', N_('Breast size'), 'look', female_only=True),
    Category('ButtSize', 'buttSize', N_('Butt size'), 'look', female_only=True),
    Category('Voice', 'voiceId', N_('Voice'), 'detail', draft_field='voice'),
    Category('Personality', 'personality', N_('Personality'), 'detail', optional=True, draft_field='personality'),
    Category('Occupation', 'occupation', N_('Occupation'), 'detail', optional=True, draft_field='occupation'),
    Category('Relationship', 'relationship', N_('Relationship'), 'detail', optional=True, draft_field='relationship'),
    # 'Fetish' is the platform's name for this group; its options (romance, slow burn, banter, role-play, ...) are the
    # kind of interplay a person wants, which is what a demo audience should read.
    Category('Fetish', 'fetish', N_('Interaction style'), 'detail', optional=True, draft_field='fetish'),
)

_BY_CODE = {c.code: c for c in CATEGORIES}
_BY_WIRE_FIELD = {c.wire_field: c for c in CATEGORIES}
_BY_DRAFT_FIELD = {c.draft_field: c for c in CATEGORIES if c.draft_field}

ALL_CATEGORIES: tuple[str, ...] = tuple(c.code for c in CATEGORIES)
LOOK_CATEGORIES: tuple[str, ...] = tuple(c.code for c in CATEGORIES if c.kind == 'look')
DETAIL_CATEGORIES: tuple[str, ...] = tuple(c.code for c in CATEGORIES if c.kind == 'detail')
FEMALE_ONLY_CATEGORIES: tuple[str, ...] = tuple(c.code for c in CATEGORIES if c.female_only)
# The Draft fields of the details a person may leave empty: ('personality', 'occupation', 'relationship', 'fetish').
OPTIONAL_DETAILS: tuple[str, ...] = tuple(c.draft_field for c in CATEGORIES if c.optional and c.draft_field)


def category(code: str) -> Category:
    """The category with this code; KeyError for one the studio does not know."""
    return _BY_CODE[code]


def title(code: str) -> str:
    """'BodyType' -> 'Body type' (in the reader's language). An unknown code is shown as it is rather than failing
    a page."""
    found = _BY_CODE.get(code)
    return _(found.title) if found else code


def wire_field(code: str) -> str:
    """'BodyType' -> 'bodyType', 'Voice' -> 'voiceId': the request field for the category's chosen code."""
    return _BY_CODE[code].wire_field


def by_wire_field(field: str) -> Category | None:
    """'bodyType' -> BodyType, e.g. to label the fields of an agent record; None for other fields ('name')."""
    return _BY_WIRE_FIELD.get(field)


def by_draft_field(name: str) -> Category:
    """'personality' -> Personality, 'voice' -> Voice: the category of a Draft detail field."""
    return _BY_DRAFT_FIELD[name]


def look_categories(gender: str | None) -> tuple[str, ...]:
    """The look categories a character of this gender has (the female-only ones only for 'female')."""
    return tuple(c for c in LOOK_CATEGORIES if gender == 'female' or not _BY_CODE[c].female_only)
