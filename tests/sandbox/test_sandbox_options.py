"""`/v1/config/options`: twelve categories, gender filtering, language fallback, served previews."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from sandbox import catalogue
from services.platform.client import PlatformClient
from services.platform.errors import BusinessError
from services.studio.catalogue import ALL_CATEGORIES, FEMALE_ONLY_CATEGORIES
from tests.support.sandbox_server import RunningSandbox


@pytest.fixture
async def shared_client(shared_sandbox: RunningSandbox) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(base_url=shared_sandbox.base_url, timeout=10)
    yield client
    await client.aclose()


async def test_all_twelve_categories_with_four_to_twelve_options(shared_sandbox: RunningSandbox,
                                                                 shared_client: PlatformClient) -> None:
    options = await shared_client.options(shared_sandbox.credentials, gender='female')
    assert set(options) == set(ALL_CATEGORIES)
    for category, items in options.items():
        assert 4 <= len(items) <= 12, category
        codes = [o.code for o in items]
        assert len(codes) == len(set(codes)), category
        assert all(o.previewUrl and o.previewUrl.startswith(shared_sandbox.base_url) for o in items)


async def test_body_type_hair_style_and_voice_depend_on_gender(shared_sandbox: RunningSandbox,
                                                               shared_client: PlatformClient) -> None:
    female = await shared_client.options(shared_sandbox.credentials, gender='female')
    male = await shared_client.options(shared_sandbox.credentials, gender='male')
    for category in ('BodyType', 'HairStyle', 'Voice'):
        f_codes, m_codes = {o.code for o in female[category]}, {o.code for o in male[category]}
        assert f_codes != m_codes, category
        assert f_codes - m_codes and m_codes - f_codes, category
    assert 'muscular' in {o.code for o in male['BodyType']}
    assert 'curvy' not in {o.code for o in male['BodyType']}
    for category in FEMALE_ONLY_CATEGORIES:
        assert category not in male
        assert len(female[category]) >= 4
    assert {o.code for o in female['Age']} == {o.code for o in male['Age']}


async def test_without_gender_both_genders_come_back(shared_sandbox: RunningSandbox,
        shared_client: PlatformClient) -> None:
    both = await shared_client.options(shared_sandbox.credentials, gender=None)
    female = await shared_client.options(shared_sandbox.credentials, gender='female')
    male = await shared_client.options(shared_sandbox.credentials, gender='male')
    assert set(both) == set(ALL_CATEGORIES)
    for category in ('BodyType', 'HairStyle', 'Voice'):
        assert {o.code for o in both[category]} == {o.code for o in female[category]} | {o.code for o in male[category]}


async def test_labels_follow_language_with_fallback(shared_sandbox: RunningSandbox,
        shared_client: PlatformClient) -> None:
    en = await shared_client.options(shared_sandbox.credentials, gender='female', language='en')
    zh = await shared_client.options(shared_sandbox.credentials, gender='female', language='zh')
    ja = await shared_client.options(shared_sandbox.credentials, gender='female', language='ja')

    def label(options: dict, category: str, code: str) -> str:
        return next(o.label for o in options[category] if o.code == code)

    assert label(en, 'HairColor', 'blonde') == 'Blonde'
    assert label(zh, 'HairColor', 'blonde') == '金色'
    assert label(ja, 'HairColor', 'blonde') == '金髪'
    # Untranslated in Japanese: English is shown.
    assert label(ja, 'Age', '56-70') == '56-70'
    assert label(ja, 'Personality', 'adventurous') == 'Adventurous'
    # No label at all: the code itself.
    for options in (en, zh, ja):
        assert label(options, 'Occupation', 'vtuber') == 'vtuber'
    # Every option has a label, and several Japanese ones are the English fallback.
    assert all(o.label for items in ja.values() for o in items)
    en_labels = {(category, o.code): o.label for category, items in en.items() for o in items}
    fallback = [o.code for category, items in ja.items() for o in items
                if o.label == en_labels[(category, o.code)] and any(ch.isalpha() for ch in o.label)]
    assert len(fallback) >= 3


async def test_unknown_language_falls_back_to_english(shared_sandbox: RunningSandbox,
        shared_client: PlatformClient) -> None:
    fr = await shared_client.options(shared_sandbox.credentials, gender='male', language='fr')
    en = await shared_client.options(shared_sandbox.credentials, gender='male', language='en')
    assert fr == en


@pytest.mark.parametrize('namespace', ['custom_agents', 'official', ''])
async def test_unknown_namespace_is_a_clear_10400(shared_sandbox: RunningSandbox, shared_client: PlatformClient,
                                                  namespace: str) -> None:
    with pytest.raises(BusinessError) as caught:
        await shared_client.options(shared_sandbox.credentials, namespace=namespace)
    assert caught.value.code == 10400
    assert 'custom_agent' in caught.value.user_message


async def test_previews_are_small_pngs_served_without_credentials(shared_sandbox: RunningSandbox,
                                                                  shared_client: PlatformClient) -> None:
    options = await shared_client.options(shared_sandbox.credentials, gender='female')
    async with httpx.AsyncClient(timeout=10) as http:
        blonde = next(o for o in options['HairColor'] if o.code == 'blonde')
        black = next(o for o in options['HairColor'] if o.code == 'black')
        images = []
        for option in (blonde, black, options['Personality'][0]):
            response = await http.get(option.previewUrl)
            assert response.status_code == 200
            assert response.headers['content-type'] == 'image/png'
            image = Image.open(io.BytesIO(response.content))
            assert image.size == (128, 128)
            images.append(image.convert('RGB'))
        # A hair-colour swatch shows its colour in the middle.
        centre = images[0].getpixel((64, 80))
        expected = tuple(int(catalogue.find('HairColor', 'blonde').colour[i:i + 2], 16) for i in (1, 3, 5))
        assert max(abs(a - b) for a, b in zip(centre, expected, strict=True)) < 40
        assert images[0].tobytes() != images[1].tobytes()
        missing = await http.get(shared_sandbox.base_url + '/cdn/options/HairColor/no-such-colour.png')
        assert missing.status_code == 404


async def test_look_previews_picture_the_option_on_the_asked_gender(shared_sandbox: RunningSandbox,
                                                                   shared_client: PlatformClient) -> None:
    female = await shared_client.options(shared_sandbox.credentials, gender='female')
    male = await shared_client.options(shared_sandbox.credentials, gender='male')
    async with httpx.AsyncClient(timeout=10) as http:
        async def pixels(url: str) -> bytes:
            response = await http.get(url)
            assert response.status_code == 200
            return Image.open(io.BytesIO(response.content)).convert('RGB').tobytes()

        styles = {o.code: await pixels(o.previewUrl) for o in female['HairStyle']}
        assert len(set(styles.values())) == len(styles)  # every hair style looks different
        curly_f = next(o.previewUrl for o in female['HairStyle'] if o.code == 'curly')
        curly_m = next(o.previewUrl for o in male['HairStyle'] if o.code == 'curly')
        assert curly_f != curly_m
        assert await pixels(curly_f) != await pixels(curly_m)
        builds = {o.code: await pixels(o.previewUrl) for o in male['BodyType']}
        assert len(set(builds.values())) == len(builds)


async def test_mounted_public_url_prefix_is_used(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    sandbox.controller.config.public_url = '/sandbox'
    options = await sandbox_client.options(sandbox.credentials, gender='male')
    assert all(o.previewUrl.startswith('/sandbox/cdn/options/') for items in options.values() for o in items)
