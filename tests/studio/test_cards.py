"""Character cards: written by the app, read back by an independent reader; round trips; foreign and hostile cards."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from typing import Any

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from services.platform.models import AgentRecord
from services.studio import catalogue
from services.studio.card_import import apply, from_agent, from_card, gender_of
from services.studio.cards import CardRefused, card_json, card_png, read_card
from services.studio.drafts import Draft
from services.studio.library import Maker

# The published field lists, typed out here rather than imported, so the test checks the module against the specs.
SPEC_V2 = {'name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example', 'creator_notes',
           'system_prompt', 'post_history_instructions', 'alternate_greetings', 'tags', 'creator',
           'character_version', 'extensions'}
SPEC_V3 = SPEC_V2 | {'group_only_greetings', 'assets', 'nickname', 'creator_notes_multilingual', 'source',
                     'creation_date', 'modification_date'}
CODES = {'Age': '18-25', 'Ethnicity': 'asian', 'BodyType': 'slim', 'HairColor': 'black', 'HairStyle': 'bob',
         'BreastSize': 'medium', 'ButtSize': 'small', 'Voice': 'voice_f_soft', 'Personality': 'playful',
         'Occupation': 'writer', 'Relationship': 'friend', 'Fetish': 'none'}
OPTIONS = {code: {value: value.replace('_', ' ').title(), 'other': 'Other'} for code, value in CODES.items()}


def agent() -> AgentRecord:
    fields = {catalogue.wire_field(code): value for code, value in CODES.items()}
    return AgentRecord.model_validate({
        'agentId': 'agent-1', 'name': 'Mia', 'coverUrl': 'https://cdn.example/c.png', 'gender': 'female',
        'createdAt': '2026-12-01T21:39:00Z', 'agentLanguage': 'en', 'openingLine': 'Hi, I am Mia.',
        'labels': {code: value.title() for code, value in CODES.items()}, **fields})


def cover() -> bytes:
    out = io.BytesIO()
    Image.new('RGB', (8, 8), 'red').save(out, 'PNG')
    return out.getvalue()


def png_texts(data: bytes) -> dict[str, bytes]:
    """An independent reader: walk the chunks, check each CRC, collect tEXt by keyword."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    at, texts, kinds = 8, {}, []
    while at < len(data):
        size, kind = struct.unpack('>I4s', data[at:at + 8])
        body = data[at + 8:at + 8 + size]
        (crc,) = struct.unpack('>I', data[at + 8 + size:at + 12 + size])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        kinds.append(kind)
        if kind == b'tEXt':
            key, _, text = body.partition(b'\0')
            texts[key.decode('latin-1')] = text
        at += 12 + size
    assert kinds[0] == b'IHDR' and kinds[-1] == b'IEND'
    return texts


def test_png_card_read_by_an_independent_reader() -> None:
    maker = Maker('account-alice', 'user-alice', 'Alice', 'agent-0', 1.0)
    data = card_png(cover(), agent(), maker)
    Image.open(io.BytesIO(data)).verify()  # still a valid image
    texts = png_texts(data)
    v2, v3 = (json.loads(base64.b64decode(texts[k])) for k in ('chara', 'ccv3'))
    assert v2['spec'] == 'chara_card_v2' and v2['spec_version'] == '2.0' and set(v2['data']) == SPEC_V2
    assert v3['spec'] == 'chara_card_v3' and v3['spec_version'] == '3.0' and set(v3['data']) == SPEC_V3
    data3 = v3['data']
    assert data3['name'] == 'Mia' and data3['first_mes'] == 'Hi, I am Mia.' and data3['creator'] == 'Agent Studio'
    assert 'Slim' in data3['tags'] and 'Body type: Slim' in data3['description']
    ours = data3['extensions']['agent_studio']
    assert ours['codes'] == CODES
    assert ours['agentId'] == 'agent-1' and ours['coverUrl'] == 'https://cdn.example/c.png'
    assert ours['voice'] == 'voice_f_soft' and ours['language'] == 'en' and ours['derivedFrom'] == 'agent-0'
    assert ours['madeBy']['name'] == 'Alice' and ours['createdAt'] == '2026-12-01T21:39:00Z'
    again = card_png(data, agent())  # writing over a card replaces its chunks rather than adding more
    assert list(png_texts(again)) == ['chara', 'ccv3']


@pytest.mark.parametrize('form', ['png', 'json'])
def test_round_trip_agent_card_draft_keeps_every_code(form: str) -> None:
    data = card_png(cover(), agent()) if form == 'png' else card_json(agent())
    card = read_card(data)
    imported = from_card(card, OPTIONS)
    assert imported.ours and imported.not_understood == [] and imported.gender == 'female'
    draft = Draft(name='old', look={'Age': 'x'})
    apply(draft, imported)
    codes = {**draft.look, **{c.code: getattr(draft, c.draft_field) for c in catalogue.CATEGORIES if c.draft_field}}
    assert codes == CODES and draft.name == 'Mia' and draft.gender == 'female' and draft.language == 'en'
    assert draft.derived_from == 'agent-1'  # the new agent will say which one it came from


def test_a_foreign_card_derives_from_nothing() -> None:
    draft = Draft(derived_from='agent-earlier')  # a variant started before, replaced by the import
    apply(draft, from_card(foreign_v2(), OPTIONS))
    assert draft.name == 'Aiko' and draft.derived_from is None


def test_variant_drops_options_that_no_longer_exist() -> None:
    options = {**OPTIONS, 'HairStyle': {'long': 'Long'}}
    imported = from_agent(agent(), options)
    assert 'HairStyle' not in imported.look and imported.look['BodyType'] == 'slim'
    assert imported.not_understood == ['Hair style: bob (no longer offered, dropped)']


def foreign_v2() -> dict[str, Any]:
    return {'spec': 'chara_card_v2', 'spec_version': '2.0', 'data': {
        'name': 'Aiko', 'description': 'A slim woman with black hair in a bob.', 'personality': 'cheerful',
        'scenario': '', 'first_mes': 'Hello!', 'mes_example': '<START>', 'tags': ['Asian'], 'creator': 'someone',
        'character_book': {'entries': []}, 'extensions': {'depth_prompt': {'prompt': 'x'}}}}


def test_foreign_v2_png_and_v3_json_fill_what_maps() -> None:
    png = io.BytesIO()
    info = PngInfo()
    info.add_text('chara', base64.b64encode(json.dumps(foreign_v2()).encode()).decode())
    Image.new('RGB', (4, 4)).save(png, 'PNG', pnginfo=info)  # written by Pillow, as other tools do
    card = read_card(png.getvalue())
    assert gender_of(card) == 'female'
    imported = from_card(card, OPTIONS)
    assert imported.name == 'Aiko' and not imported.ours
    assert imported.look == {'Ethnicity': 'asian', 'BodyType': 'slim', 'HairColor': 'black', 'HairStyle': 'bob'}
    assert 'mes_example' in imported.not_understood and 'character_book' in imported.not_understood
    assert 'extensions.depth_prompt' in imported.not_understood
    v3 = {'spec': 'chara_card_v3', 'spec_version': '3.0', 'data': {**foreign_v2()['data'], 'nickname': 'Ai',
                                                                   'assets': [{'type': 'icon'}]}}
    imported = from_card(read_card(json.dumps(v3).encode()), OPTIONS)
    assert imported.name == 'Aiko' and 'nickname' in imported.not_understood and 'assets' in imported.not_understood


def bomb() -> bytes:
    # A tiny zTXt chunk that inflates to 100 MB: the reader must stop long before.
    body = b'chara\0\0' + zlib.compress(b'A' * 100_000_000, 9)
    chunk = struct.pack('>I', len(body)) + b'zTXt' + body + struct.pack('>I', zlib.crc32(b'zTXt' + body))
    return cover()[:-12] + chunk + cover()[-12:]


@pytest.mark.parametrize('data, words', [
    (b'\x89PNG\r\n\x1a\n' + b'\0\0\0\x0dIHDR', 'cut short'),
    (bomb(), 'too big'),
    (b'x' * (21 * 1024 * 1024), 'too big'),
    (b'{"spec": "chara_card_v2", "data": ', 'neither'),
    (b'[1, 2]', 'not a character card'),
    (b'[' * 100_000 + b']' * 100_000, 'neither'),
    (cover(), 'no character card'),
])
def test_hostile_cards_get_a_clear_message(data: bytes, words: str) -> None:
    with pytest.raises(CardRefused) as caught:
        card = read_card(data)
        from_card(card, OPTIONS)
    assert words in caught.value.user_message


def test_cards_without_a_name_or_data_are_refused_or_noted() -> None:
    with pytest.raises(CardRefused):
        from_card({'spec': 'chara_card_v2', 'data': 'nope'}, OPTIONS)
    with pytest.raises(CardRefused):
        from_card({'hello': 1}, OPTIONS)
    assert from_card({'spec': 'chara_card_v3', 'data': {}}, OPTIONS).not_understood[0].startswith('a name')
