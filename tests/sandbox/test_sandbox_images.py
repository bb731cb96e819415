"""Reference-image upload and face check: a real detector, and refusal of everything that is not a photo."""

from __future__ import annotations

import io
import struct
import zlib

import httpx
import pytest
from PIL import Image

from services.core.secret import Secret
from services.platform.client import PlatformClient
from services.platform.errors import BusinessError
from services.platform.signing import build_auth_headers
from tests.conftest import FIXTURES, TEST_KEY, TEST_SECRET
from tests.support.sandbox_server import RunningSandbox


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def reencode(name: str, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.open(FIXTURES / name).convert('RGB').save(out, fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size in a few bytes: what a decompression bomb looks like from outside."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    ihdr = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b'')


@pytest.mark.parametrize(('name', 'faces'), [('astronaut.png', 1), ('chelsea.png', 0), ('coffee.png', 0),
                                             ('two-faces.jpg', 2)])  # the count, when there are several
async def test_face_check_on_the_fixtures(sandbox: RunningSandbox, sandbox_client: PlatformClient, name: str,
                                          faces: int) -> None:
    check = await sandbox_client.face_detect(sandbox.credentials, fixture(name), name, 'image/png')
    assert check.faceCount == faces
    assert check.hasFace is (faces > 0)


@pytest.mark.parametrize('fmt', ['JPEG', 'WEBP'])
async def test_jpeg_and_webp_are_accepted(sandbox: RunningSandbox, sandbox_client: PlatformClient, fmt: str) -> None:
    content = reencode('astronaut.png', fmt)
    check = await sandbox_client.face_detect(sandbox.credentials, content, f'a.{fmt.lower()}', f'image/{fmt.lower()}')
    assert check.faceCount == 1
    ref = await sandbox_client.upload_ref_image(sandbox.credentials, content, 'a', 'application/octet-stream')
    assert len(ref.refImageId) == 36


async def test_upload_stores_the_file_under_the_data_dir(sandbox: RunningSandbox,
                                                         sandbox_client: PlatformClient) -> None:
    ref = await sandbox_client.upload_ref_image(sandbox.credentials, fixture('chelsea.png'), 'cat.png', 'image/png')
    stored = sandbox.controller.store.ref_image(sandbox.credentials.api_key, ref.refImageId)
    assert stored is not None
    assert stored.path.read_bytes() == fixture('chelsea.png')
    assert stored.faces == []
    assert not stored.face_path.exists()
    ref = await sandbox_client.upload_ref_image(sandbox.credentials, fixture('astronaut.png'), 'a.png', 'image/png')
    stored = sandbox.controller.store.ref_image(sandbox.credentials.api_key, ref.refImageId)
    assert len(stored.faces) == 1
    # The face is kept small, so covers never decode the full photo again.
    with Image.open(stored.face_path) as face:
        assert max(face.size) <= 256


async def refused(client: PlatformClient, sandbox: RunningSandbox, content: bytes, *,
                  endpoint: str = 'upload') -> str:
    call = client.upload_ref_image if endpoint == 'upload' else client.face_detect
    with pytest.raises(BusinessError) as caught:
        await call(sandbox.credentials, content, 'photo.png', 'image/png')
    assert caught.value.code == 10400
    return caught.value.user_message


@pytest.mark.parametrize('endpoint', ['upload', 'face'])
async def test_decompression_bomb_is_refused_without_decoding(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                                              endpoint: str) -> None:
    # Over the sandbox's own limit, and far over Pillow's (which refuses at open).
    for width, height in ((8000, 6000), (60000, 60000)):
        message = await refused(sandbox_client, sandbox, png_header_only(width, height), endpoint=endpoint)
        assert 'too many pixels' in message
        assert '40 megapixels' in message


@pytest.mark.parametrize('endpoint', ['upload', 'face'])
async def test_truncated_image_is_refused(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                          endpoint: str) -> None:
    content = fixture('astronaut.png')
    message = await refused(sandbox_client, sandbox, content[:len(content) // 2], endpoint=endpoint)
    assert 'damaged or truncated' in message


@pytest.mark.parametrize('content', [b'hello, world', b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', b'\x00' * 500])
async def test_not_an_image_is_refused(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                       content: bytes) -> None:
    message = await refused(sandbox_client, sandbox, content)
    assert 'not an image' in message
    assert 'JPEG, PNG or WebP' in message


async def test_other_image_formats_are_refused_by_name(sandbox: RunningSandbox,
                                                       sandbox_client: PlatformClient) -> None:
    message = await refused(sandbox_client, sandbox, reencode('coffee.png', 'GIF'))
    assert message.startswith('GIF images are not accepted')
    message = await refused(sandbox_client, sandbox, reencode('coffee.png', 'BMP'), endpoint='face')
    assert message.startswith('BMP images are not accepted')


async def test_empty_file_is_refused(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    assert 'empty' in await refused(sandbox_client, sandbox, b'')


async def test_default_size_limit_is_ten_megabytes(sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    message = await refused(sandbox_client, sandbox, b'\xff' * (10 * 1024 * 1024 + 1))
    assert message == 'The file is too large: the limit is 10 MB'


@pytest.mark.parametrize('endpoint', ['upload', 'face'])
async def test_configured_size_limit_is_named(sandbox: RunningSandbox, sandbox_client: PlatformClient,
                                              endpoint: str) -> None:
    sandbox.controller.config.max_upload_bytes = 300 * 1024
    message = await refused(sandbox_client, sandbox, fixture('astronaut.png'), endpoint=endpoint)
    assert message == 'The file is too large: the limit is 300 KB'
    # Under the limit still works.
    check = await sandbox_client.face_detect(sandbox.credentials, fixture('chelsea.png'), 'c.png', 'image/png')
    assert check.hasFace is False


async def test_file_must_be_in_the_file_field(sandbox: RunningSandbox) -> None:
    headers = build_auth_headers(TEST_KEY, Secret(TEST_SECRET), 'tester', 'POST', '/v1/agent/ref-image')
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(sandbox.base_url + '/v1/agent/ref-image', headers=headers,
                                   files={'image': ('a.png', fixture('coffee.png'), 'image/png')})
    envelope = response.json()
    assert envelope['code'] == 10400
    assert "field 'file'" in envelope['message']


async def test_json_to_an_upload_endpoint_is_refused(sandbox: RunningSandbox) -> None:
    body = {'file': 'astronaut.png'}
    headers = build_auth_headers(TEST_KEY, Secret(TEST_SECRET), 'tester', 'POST', '/v1/agent/face-detect', body=body)
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(sandbox.base_url + '/v1/agent/face-detect', headers=headers, json=body)
    assert response.json()['code'] == 10400
    assert 'multipart/form-data' in response.json()['message']
