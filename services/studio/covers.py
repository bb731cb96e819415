"""What the Cover step says about covers, as plain functions: a look in short labels that name their group where
a label alone is ambiguous, the look a cover was made with, and the rules of comparing covers.

No state and no UI: services.studio.studio applies them for a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.platform.models import Options
from services.studio import catalogue, rules

COMPARE_MIN, COMPARE_MAX = 2, 4
# Sizes share their labels ("Medium") in every language, so they always say what they are.
ALWAYS_NAMED = ('BreastSize', 'ButtSize')


def look_chips(look: Mapping[str, str], categories: Iterable[str], options: Options) -> list[str]:
    """One short text per chosen look category, in order. A label that is also the label of an option in another
    look category ("Black": a hair colour and an ethnicity) is prefixed with its group: "Hair colour: Black"."""
    categories = [c for c in categories if look.get(c)]
    labels = {c: rules.label(options, c, look[c]) for c in categories}
    offered: dict[str, set[str]] = {c: {o.display.casefold() for o in options.get(c, [])}
                                    for c in catalogue.LOOK_CATEGORIES}
    chips = []
    for category in categories:
        text = labels[category]
        elsewhere = any(text.casefold() in offered.get(other, set())
                        for other in catalogue.LOOK_CATEGORIES if other != category)
        named = category in ALWAYS_NAMED or elsewhere
        chips.append(f'{catalogue.title(category)}: {text}' if named else text)
    return chips


def request_look(request: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """(gender, category code -> option code) of a cover request's wire body."""
    look = {}
    for category in catalogue.LOOK_CATEGORIES:
        code = request.get(catalogue.wire_field(category))
        if isinstance(code, str) and code:
            look[category] = code
    gender = request.get('gender')
    return (gender if isinstance(gender, str) else None), look


def compare_refusal(chosen: int) -> str | None:
    """Why `chosen` covers cannot be shown side by side; None when they can."""
    if chosen < COMPARE_MIN:
        return f'Choose at least {COMPARE_MIN} covers to compare ({chosen} chosen so far).'
    if chosen > COMPARE_MAX:
        return f'Compare at most {COMPARE_MAX} covers at a time.'
    return None


def variations_message(started: int, asked: int, refusal: str) -> str:
    """What to say when a limit stopped some of the variations asked for."""
    if started == 0:
        return refusal
    return (f'Started {started} of the {asked}; the {"others were" if asked - started > 1 else "other was"} not '
            f'started because of the limit on generations running at once. {refusal}')
