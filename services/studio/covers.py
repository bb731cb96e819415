"""What the Cover step says about covers, as plain functions: a look in short labels that name their group where
a label alone is ambiguous, the look a cover was made with, and the rules of comparing covers.

No state and no UI: services.studio.studio applies them for a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.core.i18n import _, ngettext
from services.platform.models import Options
from services.studio import catalogue, rules
from services.studio.job import Job

COMPARE_MIN, COMPARE_MAX = 2, 4
# Sizes share their labels ("Medium") in every language, so they always say what they are.
ALWAYS_NAMED = ('BreastSize', 'ButtSize')


@dataclass(frozen=True)
class CoverBoard:
    """What the Cover step shows: covers being painted, recent failures, the finished covers and the chosen one."""

    running: list[Job]
    problems: list[Job]  # failed or interrupted after the newest finished cover, at most two
    covers: list[Job]  # finished, newest first, not dismissed; every one stays selectable while it is valid
    selected: Job | None
    dismissed: list[Job] = field(default_factory=list)  # put aside in Compare, newest first, only while usable


@dataclass(frozen=True)
class Variations:
    """What "Generate 2 like this" started, and why not all of them when a limit stopped some."""

    started: list[Job]
    message: str | None


def board(jobs: Sequence[Job], selected_id: str | None, dismissed_ids: Iterable[str]) -> CoverBoard:
    """The Cover step's board from the person's cover jobs (newest first) and the draft's choices."""
    covers = [j for j in jobs if j.status == 'done' and j.has_image]
    newest_cover_at = covers[0].created_at if covers else 0.0
    failed = [j for j in jobs if j.status in ('failed', 'interrupted') and j.created_at > newest_cover_at]
    selected = next((j for j in covers if j.id == selected_id), None)
    put_aside = set(dismissed_ids)
    dismissed = [j for j in covers if j.id in put_aside and j.usable()]
    kept = [j for j in covers if j.id not in put_aside]
    return CoverBoard([j for j in jobs if j.running], failed[:2], kept, selected, dismissed)



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
        chips.append(_('{category}: {choice}').format(category=catalogue.title(category), choice=text) if named
                     else text)
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
        return _('Choose at least {min} covers to compare ({chosen} chosen so far).').format(min=COMPARE_MIN,
                                                                                             chosen=chosen)
    if chosen > COMPARE_MAX:
        return _('Compare at most {max} covers at a time.').format(max=COMPARE_MAX)
    return None


def variations_message(started: int, asked: int, refusal: str) -> str:
    """What to say when a limit stopped some of the variations asked for."""
    if started == 0:
        return refusal
    # Plural by how many were left out, which is what the sentence goes on to speak of.
    left_out = asked - started
    return ngettext('Started {started} of the {asked}; the other was not started because of the limit on generations '
                    'running at once. {refusal}',
                    'Started {started} of the {asked}; the others were not started because of the limit on '
                    'generations running at once. {refusal}', left_out) \
        .format(started=started, asked=asked, refusal=refusal)
