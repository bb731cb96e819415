"""The body options' preview tiles show the part that is chosen, and show it growing with the size chosen."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sandbox import body_art, catalogue, cover_art


def tile(category: str, code: str, gender: str = 'female') -> Image.Image:
    image = Image.open(io.BytesIO(cover_art.draw_preview(category, code, gender)))
    assert image.size == (cover_art.PREVIEW_SIZE, cover_art.PREVIEW_SIZE)
    return image.convert('RGB')


def pixels_of(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 24) -> int:
    """How many pixels are (about) this colour: the area of the clothes that colour is drawn in."""
    distance = np.abs(np.asarray(image, dtype=np.int16) - np.array(colour, dtype=np.int16)).max(axis=2)
    return int((distance <= tolerance).sum())


def test_breast_size_tiles_grow_from_small_to_extra_large() -> None:
    # The top is the one teal area on the tile: a fuller bust in profile covers more of the picture.
    areas = [pixels_of(tile('BreastSize', code), body_art.TOP) for code in ('small', 'medium', 'large', 'extra_large')]
    assert areas == sorted(areas) and len(set(areas)) == 4, areas
    assert areas[-1] > areas[0] * 1.15  # visibly, not by a few pixels


def test_butt_size_tiles_show_the_hips_and_grow() -> None:
    areas = {code: pixels_of(tile('ButtSize', code), body_art.BOTTOM) for code in ('small', 'medium', 'large')}
    assert areas['small'] < areas['medium'] < areas['large'], areas
    assert areas['large'] > areas['small'] * 1.1
    # The leggings fill much of a butt tile; a breast tile is cropped above them.
    assert areas['small'] > 0.12 * cover_art.PREVIEW_SIZE ** 2
    assert pixels_of(tile('BreastSize', 'medium'), body_art.BOTTOM) < areas['small'] / 10


def test_every_tile_of_a_category_is_the_same_picture_but_for_the_option() -> None:
    # Same background and clothes on every tile (no random backdrop that would make a difference of its own): the
    # corners, far from the figure, are identical.
    for category, gender in (('BodyType', 'female'), ('BodyType', 'male'), ('BreastSize', 'female'),
                             ('ButtSize', 'female')):
        codes = [c.code for c in catalogue.CATALOGUE[category] if gender in c.genders]
        tiles = [tile(category, code, gender) for code in codes]
        assert len({t.tobytes() for t in tiles}) == len(codes), f'two {category} tiles look the same'
        corners = {(t.getpixel((1, 1)), t.getpixel((126, 126))) for t in tiles}
        assert len(corners) == 1, f'{category} tiles have different backgrounds'


@pytest.mark.parametrize('gender', ['female', 'male'])
def test_builds_differ_in_width(gender: str) -> None:
    def width(code: str) -> int:
        image = tile('BodyType', code, gender)
        row = image.crop((0, 60, image.width, 61))  # the waist and hips, below the shoulders
        return pixels_of(row, body_art.TOP) + pixels_of(row, body_art.BOTTOM)

    slim = width('slim')
    wide = width('plus_size' if gender == 'female' else 'stocky')
    assert wide > slim * 1.3, (slim, wide)


def test_a_shared_code_is_drawn_on_the_asked_gender() -> None:
    assert tile('BodyType', 'slim', 'female').tobytes() != tile('BodyType', 'slim', 'male').tobytes()
