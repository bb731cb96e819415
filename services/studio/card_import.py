"""From a card (or an agent) to a new draft: 'Make a variant' and 'Import a card'.

Agent Studio's own cards carry every option code under the `agent_studio` extension and come back exactly, less any
option the platform no longer offers (dropped, with a note). Other tools' cards fill what maps: the name, the gender
when the text says it, and a look choice when the card's text names an option that exists (by its label or code, as
a whole word); everything else is listed as not understood, so a person sees what was left behind.
"""

from __future__ import annotations

import re
from typing import Any

from services.core.i18n import _
from services.platform.models import AgentRecord
from services.studio import catalogue
from services.studio.cards import EXTENSION, CardRefused, Imported, card_v3
from services.studio.drafts import Draft

Options = dict[str, dict[str, str]]  # category code -> option code -> label, as Studio.choices gives them
MAX_NAME = 100
KNOWN_TEXT = ('name', 'description', 'personality', 'scenario', 'first_mes', 'tags', 'creator', 'extensions')
_FEMALE = re.compile(r'\b(female|woman|girl|she|her)\b', re.IGNORECASE)
_MALE = re.compile(r'\b(male|man|boy|he|his|him)\b', re.IGNORECASE)


def card_payload(card: dict[str, Any]) -> dict[str, Any]:
    """The card's fields: `data` for V2/V3, the object itself for a V1 card (fields at the top)."""
    spec = card.get('spec')
    if spec in ('chara_card_v2', 'chara_card_v3'):
        data = card.get('data')
        if not isinstance(data, dict):
            raise CardRefused(_('That card has no data.'))
        return data
    if isinstance(card.get('name'), str):  # V1 and many exports: no envelope
        return card
    raise CardRefused(_('That JSON is not a character card (no spec and no name).'))


def gender_of(card: dict[str, Any]) -> str | None:
    """The gender an Agent Studio card records, or the one a foreign card's text suggests (None when unclear)."""
    data = card_payload(card)
    ours = _ours(data)
    if ours is not None:
        gender = ours.get('gender')
        return gender if gender in ('female', 'male') else None
    text = _text(data)
    female, male = len(_FEMALE.findall(text)), len(_MALE.findall(text))
    if female != male:
        return 'female' if female > male else 'male'
    return None


def from_card(card: dict[str, Any], options: Options) -> Imported:
    """What the card gives a draft, against the options the platform offers today for the card's gender."""
    data = card_payload(card)
    name = data.get('name')
    result = Imported(name=name.strip()[:MAX_NAME] if isinstance(name, str) else '')
    ours = _ours(data)
    result.gender = gender_of(card)
    if ours is not None:
        result.ours, result.agent_id = True, _str(ours.get('agentId'))
        result.language = _str(ours.get('language'))
        given = ours.get('codes')
        codes: dict[str, Any] = given if isinstance(given, dict) else {}
        for code, value in codes.items():
            _take(result, code, str(value), options)
        return result
    text = _text(data)
    for category in catalogue.CATEGORIES:
        if category.code not in options or category.kind != 'look':
            continue
        for code, label in options[category.code].items():
            if _names(text, label) or _names(text, code.replace('_', ' ')):
                result.look[category.code] = code
                break
    for key, value in data.items():
        if key not in KNOWN_TEXT and value not in (None, '', [], {}):
            result.not_understood.append(key)
    extensions = data.get('extensions')
    if isinstance(extensions, dict):
        result.not_understood.extend(f'extensions.{k}' for k in extensions)
    if not result.name:
        result.not_understood.insert(0, 'a name (the card has none)')
    return result


def from_agent(agent: AgentRecord, options: Options) -> Imported:
    """'Make a variant': the agent's own choices, through the same path as its card (one mapping, not two)."""
    return from_card(card_v3(agent), options)


def _take(result: Imported, code: str, value: str, options: Options) -> None:
    try:
        category = catalogue.category(code)
    except KeyError:
        result.not_understood.append(_('{code}: {value} (not a category Agent Studio knows)').format(code=code,
                                                                                                     value=value))
        return
    offered = options.get(code)
    if offered is not None and value not in offered:
        result.not_understood.append(_('{category}: {value} (no longer offered, dropped)').format(
            category=catalogue.title(category.code), value=value))
        return
    if category.kind == 'look':
        if category.female_only and result.gender != 'female':
            return
        result.look[code] = value
    elif category.draft_field:
        result.details[category.draft_field] = value


def apply(draft: Draft, imported: Imported) -> None:
    """Start `draft` afresh from the card: the look, the name and the details it gives; the person goes on from
    the Look step (a new cover is generated from these choices when they ask)."""
    draft.reset()
    if imported.gender in ('female', 'male'):
        draft.gender = imported.gender  # type: ignore[assignment]
    draft.look = dict(imported.look)
    draft.name = imported.name
    for name, value in imported.details.items():
        setattr(draft, name, value)
    if imported.language in ('en', 'zh', 'ja'):
        draft.language = imported.language  # type: ignore[assignment]
    # One of Agent Studio's own agents (a variant, or its card imported again): the new agent records where it came
    # from. A foreign card names no agent of ours, so it derives from nothing.
    draft.derived_from = imported.agent_id if imported.ours else None


def _ours(data: dict[str, Any]) -> dict[str, Any] | None:
    extensions = data.get('extensions')
    if isinstance(extensions, dict) and isinstance(extensions.get(EXTENSION), dict):
        return extensions[EXTENSION]
    return None


def _text(data: dict[str, Any]) -> str:
    parts = [data.get(k) for k in ('description', 'personality', 'scenario')]
    tags = data.get('tags')
    if isinstance(tags, list):
        parts.extend(tags)
    return '\n'.join(p for p in parts if isinstance(p, str))[:200_000]


def _names(text: str, label: str) -> bool:
    label = label.strip()
    return bool(label) and re.search(rf'(?<!\w){re.escape(label)}(?!\w)', text, re.IGNORECASE) is not None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
