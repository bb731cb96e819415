"""The generated bad files really are what the reliability tests say they are."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError

from tests.fixtures import bad


def test_not_an_image_has_a_png_name_but_no_image_inside(tmp_path: Path) -> None:
    path = bad.not_an_image(tmp_path)
    assert path.suffix == '.png'
    assert not path.read_bytes().startswith(b'\x89PNG')
    with pytest.raises(UnidentifiedImageError):
        Image.open(path)


def test_huge_image_is_a_real_png_over_25_megabytes(tmp_path: Path) -> None:
    path = bad.huge_image(tmp_path)
    assert path.stat().st_size > 25 * 1024 * 1024
    with Image.open(path) as image:
        assert image.format == 'PNG'
        image.verify()


def test_bomb_declares_900_megapixels_in_a_small_file(tmp_path: Path) -> None:
    path = bad.decompression_bomb(tmp_path)
    data = path.read_bytes()
    assert data.startswith(b'\x89PNG\r\n\x1a\n')
    assert data[12:16] == b'IHDR'
    width, height = struct.unpack('>II', data[16:24])
    assert (width, height) == (bad.BOMB_SIDE, bad.BOMB_SIDE)
    assert len(data) < 200 * 1024
    # Pillow recognises it for what it is from the header alone.
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)


def test_bomb_is_a_well_formed_png_not_garbage(tmp_path: Path) -> None:
    # A smaller twin built by the same code decodes completely: the bomb is dangerous, not broken.
    path = bad.decompression_bomb(tmp_path, side=1000)
    with Image.open(path) as image:
        image.load()
        assert image.size == (1000, 1000)
        assert image.mode == '1'


def test_truncated_png_has_a_valid_header_but_missing_pixels(tmp_path: Path) -> None:
    path = bad.truncated_png(tmp_path)
    image = Image.open(path)
    assert image.size == (512, 512)
    with pytest.raises(OSError, match=r'truncated|broken'):
        image.load()


def test_svg_is_vector_xml_that_pillow_cannot_read(tmp_path: Path) -> None:
    path = bad.svg_image(tmp_path)
    text = path.read_text()
    assert '<svg' in text and '<script>' in text
    with pytest.raises(UnidentifiedImageError):
        Image.open(path)


def test_animated_gif_really_moves(tmp_path: Path) -> None:
    path = bad.animated_gif(tmp_path)
    with Image.open(path) as image:
        assert image.format == 'GIF'
        assert image.is_animated
        assert image.n_frames == 4


def test_hostile_name_is_a_good_photo_with_html_in_its_name(tmp_path: Path) -> None:
    path = bad.hostile_named_copy(tmp_path)
    assert '<img' in path.name and path.name.startswith('..')
    with Image.open(path) as image:
        assert image.size == (512, 512)
    assert '../' in bad.HOSTILE_UPLOAD_NAME and '<img' in bad.HOSTILE_UPLOAD_NAME
