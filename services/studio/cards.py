"""Character cards: an agent as the card JSON other tools read (Character Card V2 and V3), in a PNG or a .json.

A card PNG is the cover image with the card in tEXt chunks: `chara` holds the V2 card and `ccv3` the V3 card, each
as base64 of UTF-8 JSON. What the platform gives maps onto the published fields (name, the look and details as a
description and tags, the opening line as `first_mes`); everything Agent Studio needs to rebuild the agent exactly
(every option code, voice, language, agentId, cover URL, creation time, who made it) sits under
`data.extensions['agent_studio']`, which other tools keep but do not read.

Reading a card is reading something a stranger sent: the size is bounded before anything is parsed, only the PNG
chunk headers are walked (pixel data is never decompressed, so a PNG bomb costs nothing), compressed text chunks are
inflated only up to a bound, and every failure is a `CardRefused` with a message a person can act on.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from services.core.errors import UserFacingError
from services.core.i18n import _
from services.platform.models import AgentRecord
from services.studio import catalogue
from services.studio.library import Maker, attribute

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
EXTENSION = 'agent_studio'
CREATOR = 'Agent Studio'
MAX_CARD_BYTES = 20 * 1024 * 1024  # a PNG card: the cover plus the text
MAX_JSON_BYTES = 2 * 1024 * 1024  # the card itself, however it arrives
MAX_CHUNKS = 10_000
CARD_KEYS = ('chara', 'ccv3')
# The published field lists (Character Card V2, V3): every card written carries each of them.
V2_FIELDS = ('name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example', 'creator_notes',
             'system_prompt', 'post_history_instructions', 'alternate_greetings', 'tags', 'creator',
             'character_version', 'extensions')
V3_FIELDS = (*V2_FIELDS, 'group_only_greetings', 'assets', 'nickname', 'creator_notes_multilingual', 'source',
             'creation_date', 'modification_date')


class CardRefused(UserFacingError):
    """A card that cannot be read: too big, not a card, malformed. Nothing was changed."""


# --- writing --------------------------------------------------------------------------------------------------


def codes_of(agent: AgentRecord) -> dict[str, str]:
    """Every option code the record carries, by category code ('BodyType' -> 'slim')."""
    extra = agent.model_extra or {}
    codes = {}
    for category in catalogue.CATEGORIES:
        value = agent.gender if category.wire_field == 'gender' else extra.get(category.wire_field)
        if isinstance(value, str) and value:
            codes[category.code] = value
    return codes


def card_data(agent: AgentRecord, maker: Maker | None = None) -> dict[str, Any]:
    """The card's `data` object, common to V2 and V3."""
    extra = agent.model_extra or {}
    given = extra.get('labels')
    labels: dict[str, Any] = given if isinstance(given, dict) else {}
    codes = codes_of(agent)
    shown = [(catalogue.title(code), str(labels.get(code) or value)) for code, value in codes.items()]
    lines = [f'{title}: {text}' for title, text in shown]
    opening = attribute(agent, 'openingLine', 'greeting', 'firstMessage')
    traits = extra.get('personalityTraits')
    studio = {
        'agentId': agent.agentId, 'coverUrl': agent.coverUrl, 'gender': agent.gender,
        'voice': codes.get('Voice'), 'language': attribute(agent, 'agentLanguage', 'language'),
        'codes': codes, 'createdAt': agent.createdAt,
        'madeBy': ({'ownerId': maker.owner_id, 'userId': maker.user_id, 'name': maker.display_name}
                   if maker else None),
        'derivedFrom': maker.derived_from if maker else None,
    }
    return {
        'name': agent.name,
        'description': '\n'.join(lines),
        'personality': ', '.join(str(t) for t in traits) if isinstance(traits, list) else str(labels.get(
            'Personality') or ''),
        'scenario': '', 'first_mes': str(opening) if opening else '', 'mes_example': '',
        'creator_notes': 'Made with Agent Studio.', 'system_prompt': '', 'post_history_instructions': '',
        'alternate_greetings': [], 'tags': [text for _, text in shown], 'creator': CREATOR,
        'character_version': '1', 'extensions': {EXTENSION: studio},
    }


def card_v2(agent: AgentRecord, maker: Maker | None = None) -> dict[str, Any]:
    return {'spec': 'chara_card_v2', 'spec_version': '2.0', 'data': card_data(agent, maker)}


def card_v3(agent: AgentRecord, maker: Maker | None = None, *, now: int = 0) -> dict[str, Any]:
    data = card_data(agent, maker)
    data.update({'group_only_greetings': [], 'nickname': '', 'creator_notes_multilingual': {}, 'source': [],
                 'creation_date': now, 'modification_date': now,
                 'assets': [{'type': 'icon', 'uri': 'ccdefault:', 'name': 'main', 'ext': 'png'}]})
    return {'spec': 'chara_card_v3', 'spec_version': '3.0', 'data': data}


def card_json(agent: AgentRecord, maker: Maker | None = None) -> bytes:
    """The .json download: the V3 card (tools that read V3 read this; V2 readers take the PNG's `chara`)."""
    return json.dumps(card_v3(agent, maker), ensure_ascii=False, indent=2).encode()


def card_png(cover_png: bytes, agent: AgentRecord, maker: Maker | None = None) -> bytes:
    """The cover with `chara` (V2) and `ccv3` (V3) tEXt chunks before IEND; earlier card chunks are replaced."""
    chunks = [c for c in _chunks(cover_png) if not (c[0] == b'tEXt' and c[1].split(b'\0', 1)[0] in
                                                     (b'chara', b'ccv3'))]
    out = [PNG_SIGNATURE]
    for kind, body in chunks:
        if kind == b'IEND':
            for key, card in (('chara', card_v2(agent, maker)), ('ccv3', card_v3(agent, maker))):
                text = base64.b64encode(json.dumps(card, ensure_ascii=False).encode())
                out.append(_chunk(b'tEXt', key.encode() + b'\0' + text))
        out.append(_chunk(kind, body))
    return b''.join(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xFFFFFFFF)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, body) chunks of a PNG, by their headers only. CardRefused for anything that is not a PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise CardRefused(_('That file is not a PNG image.'))
    found: list[tuple[bytes, bytes]] = []
    at = len(PNG_SIGNATURE)
    while at < len(data):
        if len(found) >= MAX_CHUNKS:
            raise CardRefused(_('That PNG is unusually built (too many chunks), so its card cannot be read.'))
        if at + 12 > len(data):
            raise CardRefused(_('That PNG is cut short, so its card cannot be read.'))
        size, kind = struct.unpack('>I4s', data[at:at + 8])
        if at + 12 + size > len(data):
            raise CardRefused(_('That PNG is cut short, so its card cannot be read.'))
        found.append((kind, data[at + 8:at + 8 + size]))
        at += 12 + size
        if kind == b'IEND':
            break
    if not found or found[-1][0] != b'IEND':
        raise CardRefused(_('That PNG is cut short, so its card cannot be read.'))
    return found


# --- reading --------------------------------------------------------------------------------------------------


@dataclass
class Imported:
    """What a card says, in the draft's terms, and what of it was not understood."""

    name: str = ''
    gender: str | None = None
    look: dict[str, str] = field(default_factory=dict)  # category -> option code
    details: dict[str, str] = field(default_factory=dict)  # Draft field ('voice', 'personality') -> code
    language: str | None = None
    agent_id: str | None = None  # set for Agent Studio's own cards: the agent the card was made from
    ours: bool = False
    not_understood: list[str] = field(default_factory=list)


def read_card(data: bytes, filename: str = '') -> dict[str, Any]:
    """The card JSON from a PNG or JSON file (the V3 `ccv3` chunk preferred over V2 `chara`)."""
    if len(data) > MAX_CARD_BYTES:
        raise CardRefused(_('That card is too big (over {size} MB).').format(size=MAX_CARD_BYTES // (1024 * 1024)))
    if data.startswith(PNG_SIGNATURE):
        texts = _card_texts(data)
        raw = texts.get('ccv3') or texts.get('chara')
        if raw is None:
            raise CardRefused(_('That PNG carries no character card.'))
        try:
            text = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            raise CardRefused(_('The card inside that PNG is not readable (bad base64).')) from None
    else:
        text = data
    if len(text) > MAX_JSON_BYTES:
        raise CardRefused(_('That card is too big.'))
    try:
        card = json.loads(text.decode('utf-8-sig'))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CardRefused(_('That file is neither a card PNG nor card JSON.')) from None
    if not isinstance(card, dict):
        raise CardRefused(_('That JSON is not a character card.'))
    return card


def _card_texts(data: bytes) -> dict[str, bytes]:
    texts: dict[str, bytes] = {}
    for kind, body in _chunks(data):
        if kind not in (b'tEXt', b'zTXt', b'iTXt'):
            continue
        key, _, rest = body.partition(b'\0')
        name = key.decode('latin-1').lower()
        if name not in CARD_KEYS:
            continue
        if kind == b'tEXt':
            texts[name] = rest
        elif kind == b'zTXt':
            texts[name] = _inflate(rest[1:])
        else:  # iTXt: flag, method, language\0, translated keyword\0, text
            flag = rest[:1] == b'\1'
            tail = rest[2:].split(b'\0', 2)
            if len(tail) < 3:
                continue
            texts[name] = _inflate(tail[2]) if flag else tail[2]
    return texts


def _inflate(data: bytes) -> bytes:
    # Bounded: a few kilobytes that inflate to gigabytes stop at MAX_JSON_BYTES + 1.
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_JSON_BYTES + 1)
    except zlib.error:
        raise CardRefused(_('The card inside that PNG is damaged.')) from None
    if len(out) > MAX_JSON_BYTES or inflater.unconsumed_tail:
        raise CardRefused(_('The card inside that PNG is too big.'))
    return out
