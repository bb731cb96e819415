"""Cover, create and list: documented messages word for word, one-use covers, persistence, isolation."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image

from sandbox import validation
from sandbox.config import SandboxConfig
from services.core.secret import Secret
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import BusinessError
from services.platform.models import AgentListRequest, CoverRequest, CreateAgentRequest, wire
from services.platform.signing import build_auth_headers
from tests.conftest import FIXTURES, TEST_KEY, TEST_SECRET
from tests.support.sandbox_server import RunningSandbox, running_sandbox

FEMALE = dict(gender='female', age='26-35', ethnicity='east_asian', bodyType='curvy', breastSize='medium',
              buttSize='large', hairColor='blonde', hairStyle='long_wavy')
MALE = dict(gender='male', age='46-55', ethnicity='black', bodyType='muscular', hairColor='black',
            hairStyle='buzz_cut')


def decode(data_url: str) -> Image.Image:
    assert data_url.startswith('data:image/png;base64,')
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(',', 1)[1])))


async def raw_call(sandbox: RunningSandbox, path: str, body: dict, *, key: str = TEST_KEY,
                   secret: str = TEST_SECRET) -> dict:
    """A signed call with a body the typed client would refuse to build (to reach the platform's checks)."""
    headers = build_auth_headers(key, Secret(secret), 'tester', 'POST', path, body=body)
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(sandbox.base_url + path, headers=headers, json=body)
    assert response.status_code == 200
    return response.json()


async def make_cover(client: PlatformClient, creds: Credentials, **attrs: str) -> str:
    cover, _ = await client.generate_cover(creds, CoverRequest(**{**FEMALE, **attrs}))
    return cover.coverId


async def create(client: PlatformClient, creds: Credentials, name: str = 'Mia', **extra: str) -> str:
    cover_id = await make_cover(client, creds)
    agent, _ = await client.create_agent(creds, CreateAgentRequest(**FEMALE, coverId=cover_id, name=name,
                                                                   voiceId='voice_f_warm', **extra))
    return agent.agentId


# --- cover -------------------------------------------------------------------------------------------------


async def test_cover_is_a_768x1024_png_and_deterministic(sandbox: RunningSandbox,
                                                         sandbox_client: PlatformClient) -> None:
    first, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE))
    second, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE))
    image = decode(first.imageData)
    assert image.size == (768, 1024)
    assert first.imageData == second.imageData
    assert first.coverId != second.coverId
    other, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**{**FEMALE, 'hairColor': 'red'}))
    assert other.imageData != first.imageData
    male, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**MALE))
    assert male.imageData != first.imageData


async def test_a_different_seed_draws_a_different_cover(sandbox: RunningSandbox,
                                                        sandbox_client: PlatformClient) -> None:
    first, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE))
    sandbox.controller.config.seed = 7
    second, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE))
    assert first.imageData != second.imageData


async def test_hair_colour_is_visible_on_the_cover(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    def hair_pixel(data_url: str) -> tuple[int, int, int]:
        return decode(data_url).convert('RGB').getpixel((384, 245))  # the crown of the head

    blonde, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE))
    pink, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**{**FEMALE, 'hairColor': 'pink'}))
    assert hair_pixel(blonde.imageData) == (227, 193, 111)
    assert hair_pixel(pink.imageData) == (241, 156, 187)


async def test_reference_face_is_worked_into_the_cover(sandbox: RunningSandbox,
                                                       sandbox_client: PlatformClient) -> None:
    ref = await sandbox_client.upload_ref_image(sandbox.credentials, (FIXTURES / 'astronaut.png').read_bytes(),
                                                'astronaut.png', 'image/png')
    plain, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE))
    with_face, _ = await sandbox_client.generate_cover(sandbox.credentials,
                                                       CoverRequest(**FEMALE, refImageId=ref.refImageId))
    a, b = decode(plain.imageData).convert('RGB'), decode(with_face.imageData).convert('RGB')
    face_box = (300, 320, 468, 500)
    assert a.crop(face_box).tobytes() != b.crop(face_box).tobytes()
    # Away from the face, the portrait is the same drawing.
    assert a.crop((0, 600, 768, 880)).tobytes() == b.crop((0, 600, 768, 880)).tobytes()
    # Without the stored thumbnail the face comes from the original photo instead.
    sandbox.controller.store.ref_image(sandbox.credentials.api_key, ref.refImageId).face_path.unlink()
    again, _ = await sandbox_client.generate_cover(sandbox.credentials,
                                                   CoverRequest(**FEMALE, refImageId=ref.refImageId))
    c = decode(again.imageData).convert('RGB')
    assert c.crop(face_box).tobytes() != a.crop(face_box).tobytes()


@pytest.mark.parametrize(('missing', 'message'), [('breastSize', 'breastSize is required for female'),
                                                  ('buttSize', 'buttSize is required for female')])
@pytest.mark.parametrize('path', ['/v1/agent/cover', '/v1/agent/create'])
async def test_documented_female_messages(sandbox: RunningSandbox, missing: str, message: str, path: str) -> None:
    body = {k: v for k, v in FEMALE.items() if k != missing}
    if path.endswith('create'):
        body |= {'coverId': 'x', 'name': 'Mia', 'voiceId': 'voice_f_warm', 'language': 'en'}
    envelope = await raw_call(sandbox, path, body)
    assert envelope['success'] is False
    assert (envelope['code'], envelope['message']) == (10400, message)


@pytest.mark.parametrize(('field', 'value', 'words'), [
    ('age', '99-100', "age '99-100' is not a Age option"),
    ('ethnicity', 'martian', "ethnicity 'martian' is not a Ethnicity option"),
    ('bodyType', 'muscular', "bodyType 'muscular' is not available for female"),
    ('hairStyle', 'buzz_cut', "hairStyle 'buzz_cut' is not available for female"),
    ('hairColor', 'plaid', "hairColor 'plaid' is not a HairColor option"),
    ('breastSize', 'huge', "breastSize 'huge' is not a BreastSize option"),
    ('hairColor', None, 'hairColor is required'),
    ('gender', 'other', "gender must be 'male' or 'female'"),
])
async def test_cover_codes_are_checked_against_the_catalogue(sandbox: RunningSandbox, field: str,
                                                             value: str | None, words: str) -> None:
    body = {**FEMALE, field: value}
    envelope = await raw_call(sandbox, '/v1/agent/cover', {k: v for k, v in body.items() if v is not None})
    assert (envelope['code'], envelope['message']) == (10400, words)


async def test_female_only_fields_are_refused_for_male(sandbox: RunningSandbox) -> None:
    envelope = await raw_call(sandbox, '/v1/agent/cover', {**MALE, 'breastSize': 'large'})
    assert (envelope['code'], envelope['message']) == (10400, "breastSize 'large' is not available for male")


async def test_unknown_reference_image_is_10404(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    with pytest.raises(BusinessError) as caught:
        await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE, refImageId='nope'))
    assert caught.value.code == 10404
    assert 'refImageId' in caught.value.user_message


# --- create ------------------------------------------------------------------------------------------------


async def test_create_returns_agent_with_a_served_cover(sandbox: RunningSandbox,
                                                        sandbox_client: PlatformClient) -> None:
    cover, _ = await sandbox_client.generate_cover(sandbox.credentials, CoverRequest(**FEMALE))
    agent, trace_id = await sandbox_client.create_agent(
        sandbox.credentials, CreateAgentRequest(**FEMALE, coverId=cover.coverId, name='  Mia  ', voiceId='voice_f_warm',
                                                language='ja', personality='shy', occupation='nurse',
                                                relationship='neighbor'))
    assert agent.name == 'Mia'
    assert trace_id and len(trace_id) == 32
    assert agent.coverUrl == f'{sandbox.base_url}/cdn/covers/{cover.coverId}.png'
    async with httpx.AsyncClient(timeout=10) as http:
        served = await http.get(agent.coverUrl)
    assert served.status_code == 200
    assert served.content == base64.b64decode(cover.imageData.split(',', 1)[1])
    page = await sandbox_client.list_agents(sandbox.credentials)
    record = page.records[0].model_dump()
    assert record['openingLine'] == 'こんにちは、隣に住んでいるMia、看護師です。引っ越してきたばかり？'
    assert record['replyStyle'].startswith('最初は控えめ')
    assert len(record['personalityTraits']) == 3


async def test_cover_can_be_used_once(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    cover_id = await make_cover(sandbox_client, sandbox.credentials)
    request = CreateAgentRequest(**FEMALE, coverId=cover_id, name='Mia', voiceId='voice_f_warm')
    await sandbox_client.create_agent(sandbox.credentials, request)
    with pytest.raises(BusinessError) as caught:
        await sandbox_client.create_agent(sandbox.credentials, request)
    assert (caught.value.code, caught.value.user_message) == (
        10404, 'coverId is expired or invalid, please regenerate cover')
    assert caught.value.expired_cover


async def test_expired_and_unknown_cover_ids(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.cover_ttl_seconds = -1  # born expired
    expired = await make_cover(sandbox_client, sandbox.credentials)
    for cover_id in (expired, '00000000-0000-4000-8000-00000000dead'):
        with pytest.raises(BusinessError) as caught:
            await sandbox_client.create_agent(sandbox.credentials, CreateAgentRequest(
                **FEMALE, coverId=cover_id, name='Mia', voiceId='voice_f_warm'))
        assert (caught.value.code, caught.value.user_message) == (
            10404, 'coverId is expired or invalid, please regenerate cover')
    # An expired, never used cover is no longer served.
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f'{sandbox.base_url}/cdn/covers/{expired}.png')).status_code == 404


@pytest.mark.parametrize(('change', 'message'), [
    ({'name': '   '}, 'name is required'),
    ({'name': 'x' * 41}, 'name must be at most 40 characters (got 41)'),
    ({'voiceId': 'voice_m_deep'}, "voiceId 'voice_m_deep' is not available for female"),
    ({'voiceId': 'alloy'}, "voiceId 'alloy' is not a Voice option"),
    ({'voiceId': None}, 'voiceId is required'),
    ({'language': 'fr'}, "language must be one of 'en', 'zh', 'ja'"),
    ({'personality': 'grumpy'}, "personality 'grumpy' is not a Personality option"),
    ({'coverId': None}, 'coverId is required: generate a cover first'),
])
async def test_create_field_checks(sandbox: RunningSandbox, sandbox_client: PlatformClient, change: dict,
                                   message: str) -> None:
    cover_id = await make_cover(sandbox_client, sandbox.credentials)
    body = {**FEMALE, 'coverId': cover_id, 'name': 'Mia', 'voiceId': 'voice_f_warm', 'language': 'en', **change}
    envelope = await raw_call(sandbox, '/v1/agent/create', {k: v for k, v in body.items() if v is not None})
    assert (envelope['code'], envelope['message']) == (10400, message)
    # Nothing was used up: the cover still creates an agent.
    agent, _ = await sandbox_client.create_agent(sandbox.credentials, CreateAgentRequest(
        **FEMALE, coverId=cover_id, name='Mia', voiceId='voice_f_warm'))
    assert agent.agentId


async def test_forty_character_name_is_accepted(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    agent_id = await create(sandbox_client, sandbox.credentials, name=' ' + 'é' * 40 + ' ')
    page = await sandbox_client.list_agents(sandbox.credentials)
    assert [(r.agentId, r.name) for r in page.records] == [(agent_id, 'é' * 40)]


# --- list --------------------------------------------------------------------------------------------------


async def test_custom_list_newest_first_with_pagination(sandbox: RunningSandbox,
                                                        sandbox_client: PlatformClient) -> None:
    ids = [await create(sandbox_client, sandbox.credentials, name=f'Agent {i}') for i in range(5)]
    first = await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(pageNumber=1, pageSize=2))
    second = await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(pageNumber=2, pageSize=2))
    third = await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(pageNumber=3, pageSize=2))
    beyond = await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(pageNumber=9, pageSize=2))
    assert [p.total for p in (first, second, third, beyond)] == [5, 5, 5, 5]
    assert (second.pageNumber, second.pageSize) == (2, 2)
    listed = [r.agentId for page in (first, second, third) for r in page.records]
    assert listed == list(reversed(ids))
    assert beyond.records == []


@pytest.mark.parametrize(('change', 'message'), [
    ({'pageSize': 101}, 'pageSize must be between 1 and 100'),
    ({'pageSize': 0}, 'pageSize must be between 1 and 100'),
    ({'pageNumber': 0}, 'pageNumber must be at least 1'),
    ({'pageNumber': 'two'}, 'pageNumber must be a whole number'),
    ({'type': 'mine'}, "type must be 'custom' or 'official'"),
])
async def test_list_parameter_checks(sandbox: RunningSandbox, change: dict, message: str) -> None:
    envelope = await raw_call(sandbox, '/v1/agent/list', {'pageNumber': 1, 'pageSize': 20, 'type': 'custom', **change})
    assert (envelope['code'], envelope['message']) == (10400, message)


async def test_list_labels_follow_language(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    await create(sandbox_client, sandbox.credentials, language='en', personality='adventurous')
    zh = (await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(language='zh'))).records[0]
    ja = (await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(language='ja'))).records[0]
    assert zh.model_extra['labels']['HairColor'] == '金色'
    assert ja.model_extra['labels']['HairColor'] == '金髪'
    assert ja.model_extra['labels']['Personality'] == 'Adventurous'  # untranslated: English
    # The agent's own texts stay in the agent's language.
    assert zh.model_extra['openingLine'].startswith("Hi, I'm Mia")


async def test_official_agents(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    en = await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(type='official', language='en'))
    zh = await sandbox_client.list_agents(sandbox.credentials, AgentListRequest(type='official', language='zh'))
    assert en.total == len(en.records) >= 3
    assert [r.name for r in en.records][:3] == ['Luna', 'Kai', 'Sakura']
    assert [r.name for r in zh.records][:3] == ['露娜', '凯', '小樱']
    assert zh.records[3].name == 'Marcus'  # no Chinese name: English
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(en.records[0].coverUrl)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (768, 1024)
    # Official agents are the same for every key and are not custom agents.
    custom = await sandbox_client.list_agents(sandbox.credentials)
    assert custom.total == 0


# --- isolation and persistence ------------------------------------------------------------------------------


async def test_keys_never_see_each_other(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.keys['other-key'] = Secret('other-secret-0123')
    other = Credentials('other-key', Secret('other-secret-0123'), 'someone')
    mine = await create(sandbox_client, sandbox.credentials)
    theirs = await create(sandbox_client, other, name='Theirs')
    assert [r.agentId for r in (await sandbox_client.list_agents(sandbox.credentials)).records] == [mine]
    assert [r.agentId for r in (await sandbox_client.list_agents(other)).records] == [theirs]
    # Another key's cover and reference image are unknown to me.
    their_cover = await make_cover(sandbox_client, other)
    with pytest.raises(BusinessError) as caught:
        await sandbox_client.create_agent(sandbox.credentials, CreateAgentRequest(
            **FEMALE, coverId=their_cover, name='Mia', voiceId='voice_f_warm'))
    assert caught.value.code == 10404
    their_ref = await sandbox_client.upload_ref_image(other, (FIXTURES / 'astronaut.png').read_bytes(), 'a.png',
                                                      'image/png')
    with pytest.raises(BusinessError) as caught:
        await sandbox_client.generate_cover(sandbox.credentials,
                                            CoverRequest(**FEMALE, refImageId=their_ref.refImageId))
    assert caught.value.code == 10404


async def test_restart_keeps_agents_covers_and_reference_images(sandbox_config: SandboxConfig) -> None:
    client = PlatformClient(base_url='http://unused', timeout=10)
    try:
        with running_sandbox(sandbox_config) as first:
            client.base_url = first.base_url
            ref = await client.upload_ref_image(first.credentials, (FIXTURES / 'astronaut.png').read_bytes(), 'a.png',
                                                'image/png')
            agent_id = await create(client, first.credentials, name='Persistent')
            spare_cover = await make_cover(client, first.credentials)
            await client.aclose()
        with running_sandbox(sandbox_config) as second:
            client.base_url = second.base_url
            page = await client.list_agents(second.credentials)
            assert [(r.agentId, r.name) for r in page.records] == [(agent_id, 'Persistent')]
            async with httpx.AsyncClient(timeout=10) as http:
                assert (await http.get(page.records[0].coverUrl)).status_code == 200
            request = CoverRequest(**FEMALE, refImageId=ref.refImageId)
            cover, _ = await client.generate_cover(second.credentials, request)
            assert cover.coverId
            agent, _ = await client.create_agent(second.credentials, CreateAgentRequest(
                **FEMALE, coverId=spare_cover, name='After restart', voiceId='voice_f_soft'))
            assert agent.agentId
    finally:
        await client.aclose()


def test_wire_bodies_of_the_typed_client_are_what_the_sandbox_validates() -> None:
    # Guard against drift between the client's models and the sandbox's field names.
    body = wire(CreateAgentRequest(**FEMALE, coverId='c', name='Mia', voiceId='voice_f_warm'))
    fields = validation.create_fields(body)
    assert fields['name'] == 'Mia'
    assert fields['language'] == 'en'
