"""Upload processing: only real photos get through, upright, re-encoded, without metadata."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from services.studio.images import (
    MAX_PIXELS,
    ImageRejected,
    decode_data_url_to_png,
    process_upload,
)

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures'
LIMIT = 10 * 1024 * 1024


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


@pytest.mark.parametrize('fmt', ['JPEG', 'PNG', 'WEBP'])
def test_accepted_formats_are_reencoded_as_jpeg(fmt: str) -> None:
    source = Image.open(FIXTURES / 'astronaut.png').convert('RGB')
    result = process_upload(encode(source, fmt), f'me.{fmt.lower()}', max_bytes=LIMIT)
    assert result.content_type == 'image/jpeg'
    assert result.source_format == fmt
    decoded = Image.open(io.BytesIO(result.content))
    assert decoded.format == 'JPEG'
    assert decoded.size == (512, 512)
    assert result.filename == 'me.jpg'


def test_exif_orientation_is_applied_and_metadata_dropped() -> None:
    wide = Image.new('RGB', (300, 100), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    exif[0x010F] = 'SecretCam'  # camera make: must not reach the platform
    data = encode(wide, 'JPEG', exif=exif.tobytes())
    result = process_upload(data, 'phone.jpg', max_bytes=LIMIT)
    decoded = Image.open(io.BytesIO(result.content))
    assert decoded.size == (100, 300)
    assert result.rotated is True
    assert b'SecretCam' not in result.content
    assert not decoded.getexif()


def test_transparent_png_is_flattened_on_white() -> None:
    clear = Image.new('RGBA', (40, 40), (0, 0, 0, 0))
    result = process_upload(encode(clear, 'PNG'), 'clear.png', max_bytes=LIMIT)
    pixel = Image.open(io.BytesIO(result.content)).convert('RGB').getpixel((20, 20))
    assert min(pixel) > 240


def test_large_photo_is_scaled_down() -> None:
    big = Image.new('RGB', (4000, 3000), (10, 120, 10))
    result = process_upload(encode(big, 'JPEG'), 'big.jpg', max_bytes=LIMIT)
    assert (result.width, result.height) == (2048, 1536)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    # A tiny file whose header claims far more pixels than any photo.
    side = int(MAX_PIXELS ** 0.5) + 100
    bomb = encode(Image.new('1', (side, side)), 'PNG')
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ImageRejected, match='pixels'):
        process_upload(bomb, 'bomb.png', max_bytes=LIMIT)


def test_truncated_image_is_refused() -> None:
    data = (FIXTURES / 'coffee.png').read_bytes()
    with pytest.raises(ImageRejected, match='damaged or incomplete'):
        process_upload(data[: len(data) // 2], 'coffee.png', max_bytes=LIMIT)


def test_too_large_file_is_refused_with_sizes() -> None:
    data = (FIXTURES / 'astronaut.png').read_bytes()
    with pytest.raises(ImageRejected, match=r'limit is 0\.1 MB') as caught:
        process_upload(data, 'astronaut.png', max_bytes=100 * 1024)
    assert 'MB' in caught.value.user_message


@pytest.mark.parametrize('data', [b'', b'%PDF-1.4 not an image', b'GIF89a' + b'\0' * 40])
def test_not_an_image_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected):
        process_upload(data, 'notes.jpg', max_bytes=LIMIT)


def test_gif_is_refused_by_content_not_name() -> None:
    gif = encode(Image.new('RGB', (10, 10)), 'GIF')
    with pytest.raises(ImageRejected, match='GIF is not supported: choose a photo in JPEG, PNG or WebP format'):
        process_upload(gif, 'looks-like.jpg', max_bytes=LIMIT)


def test_cover_data_url_becomes_png() -> None:
    jpeg = encode(Image.new('RGB', (64, 96), (1, 2, 3)), 'JPEG')
    png = decode_data_url_to_png('data:image/jpeg;base64,' + base64.b64encode(jpeg).decode())
    assert Image.open(io.BytesIO(png)).format == 'PNG'
    original = (FIXTURES / 'chelsea.png').read_bytes()
    assert decode_data_url_to_png('data:image/png;base64,' + base64.b64encode(original).decode()) == original
    with pytest.raises(ImageRejected):
        decode_data_url_to_png('data:text/plain;base64,aGVsbG8=')
