"""Every mode Pillow opens becomes the RGB picture a person would see (issue 12, item 4).

Each test builds an image in one mode the way a file holds it, together with the picture it shows (computed by
hand from the pixel values), and compares `to_rgb` with that picture. Before, `convert('RGB')` clipped 16-bit
greyscale (96 % of a photo's pixels pure black or white) and dropped transparency.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from sandbox.images import face_detector, open_checked
from services.core.pixels import to_rgb
from services.studio.images import process_upload

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures'
SIDE = 64
RAMP = np.tile(np.arange(256, dtype=np.float64), (SIDE, 1))  # 0..255 left to right, one column per level


def _grey(levels: np.ndarray) -> np.ndarray:
    """The RGB picture of grey `levels` (0..255 floats)."""
    return np.repeat(np.rint(levels)[..., None], 3, axis=2)


def _on_white(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """What a browser shows for `colour` at opacity `alpha` (0..255) on a white page."""
    a = alpha[..., None] / 255.0
    return colour * a + 255.0 * (1 - a)


def _assert_looks_like(image: Image.Image, expected: np.ndarray, tolerance: float = 1.0) -> None:
    result = to_rgb(image)
    assert result.mode == 'RGB' and result.size == (expected.shape[1], expected.shape[0])
    difference = np.abs(np.asarray(result, dtype=np.float64) - expected)
    assert difference.max() <= tolerance, f'{image.mode}: off by up to {difference.max():.0f} levels'


def _extremes(image: Image.Image) -> float:
    """Share of pixels that are pure black or pure white."""
    grey = np.asarray(image.convert('L'))
    return float(((grey == 0) | (grey == 255)).mean())


# ----- deep greyscale: scaled, not clipped -----

def test_16_bit_greyscale_is_scaled_not_clipped() -> None:
    image = Image.fromarray((RAMP * 257).astype(np.uint16))
    assert image.mode == 'I;16'
    _assert_looks_like(image, _grey(RAMP))
    assert _extremes(to_rgb(image)) == pytest.approx(2 / 256)  # only the two end columns, as in the original
    assert _extremes(image.convert('RGB')) > 0.95  # what Pillow's own conversion does (the bug)


def test_16_bit_big_endian_greyscale() -> None:
    image = Image.fromarray((RAMP * 257).astype(np.uint16)).convert('I').convert('I;16B')
    assert image.mode == 'I;16B'
    _assert_looks_like(image, _grey(RAMP))


def test_16_bit_greyscale_png_with_a_transparent_grey() -> None:
    buffer = io.BytesIO()
    Image.fromarray((RAMP * 257).astype(np.uint16)).save(buffer, 'PNG', transparency=0)
    image = Image.open(io.BytesIO(buffer.getvalue()))
    assert image.mode == 'I;16' and image.info['transparency'] == 0
    expected = _grey(RAMP)
    expected[:, 0] = 255  # the transparent grey (black) is shown as the page behind it
    _assert_looks_like(image, expected)


@pytest.mark.parametrize(('values', 'expected'), [
    (RAMP * 257, RAMP),  # a 16-bit source held as 32-bit integers
    (RAMP, RAMP),  # an 8-bit source held as 32-bit integers
    (RAMP * 1000 - 100_000, RAMP),  # any other range: stretched from its darkest to its brightest pixel
])
def test_32_bit_integer_greyscale(values: np.ndarray, expected: np.ndarray) -> None:
    image = Image.fromarray(values.astype(np.int32))
    assert image.mode == 'I'
    _assert_looks_like(image, _grey(expected))


@pytest.mark.parametrize(('values', 'expected'), [(RAMP / 255, RAMP), (RAMP, RAMP), (RAMP * 257, RAMP)])
def test_float_greyscale(values: np.ndarray, expected: np.ndarray) -> None:
    image = Image.fromarray(values.astype(np.float32))
    assert image.mode == 'F'
    _assert_looks_like(image, _grey(expected))


# ----- transparency: laid on white -----

def test_grey_with_alpha() -> None:
    alpha = RAMP
    image = Image.merge('LA', [Image.new('L', (256, SIDE), 60), Image.fromarray(alpha.astype(np.uint8))])
    _assert_looks_like(image, _on_white(np.full((SIDE, 256, 3), 60.0), alpha))


def test_premultiplied_grey_with_alpha() -> None:
    straight = Image.merge('LA', [Image.new('L', (256, SIDE), 200), Image.fromarray(RAMP.astype(np.uint8))])
    image = straight.convert('La')
    assert image.mode == 'La'
    # Premultiplying loses precision in nearly transparent pixels; on white that is at most a level or two.
    _assert_looks_like(image, _on_white(np.full((SIDE, 256, 3), 200.0), RAMP), tolerance=2)


def test_colour_with_alpha() -> None:
    colour = np.zeros((SIDE, 256, 3))
    colour[..., 0], colour[..., 1], colour[..., 2] = 200, 30, 90
    image = Image.fromarray(np.dstack([colour, RAMP]).astype(np.uint8), 'RGBA')
    _assert_looks_like(image, _on_white(colour, RAMP))


def test_premultiplied_colour_with_alpha() -> None:
    colour = np.zeros((SIDE, 256, 3))
    colour[..., 0], colour[..., 1], colour[..., 2] = 200, 30, 90
    image = Image.fromarray(np.dstack([colour, RAMP]).astype(np.uint8), 'RGBA').convert('RGBa')
    _assert_looks_like(image, _on_white(colour, RAMP), tolerance=2)


def _palette_image() -> tuple[Image.Image, np.ndarray]:
    """Four vertical bands with palette entries 0..3: black, red, green, blue."""
    indices = (np.arange(256)[None, :].repeat(SIDE, 0) // 64).astype(np.uint8)
    image = Image.fromarray(indices, 'L').convert('P')
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (256 * 3 - 12))
    colours = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.float64)
    return image, colours[indices]


def test_palette_with_a_transparent_entry() -> None:
    image, expected = _palette_image()
    image.info['transparency'] = 0  # how a PNG's tRNS chunk arrives: entry 0 (black) is invisible
    expected[:, :64] = 255
    _assert_looks_like(image, expected)
    # ... also after a PNG round trip, as an upload arrives.
    buffer = io.BytesIO()
    image.save(buffer, 'PNG', transparency=0)
    _assert_looks_like(Image.open(io.BytesIO(buffer.getvalue())), expected)


def test_palette_with_partial_transparency() -> None:
    image, colours = _palette_image()
    image.info['transparency'] = bytes([255, 128, 255, 0])  # red half-see-through, blue invisible
    alpha = np.array([255, 128, 255, 0], dtype=np.float64)[(np.arange(256)[None, :].repeat(SIDE, 0) // 64)]
    _assert_looks_like(image, _on_white(colours, alpha))


def test_palette_with_alpha_channel() -> None:
    image, colours = _palette_image()
    pa = image.convert('PA')
    pa.putalpha(Image.fromarray(RAMP.astype(np.uint8)))
    assert pa.mode == 'PA'
    _assert_looks_like(pa, _on_white(colours, RAMP))


def test_grey_and_rgb_with_a_transparent_colour() -> None:
    grey = Image.fromarray(RAMP.astype(np.uint8))
    grey.info['transparency'] = 0
    expected = _grey(RAMP)
    expected[:, 0] = 255
    _assert_looks_like(grey, expected)
    rgb = grey.convert('RGB')
    rgb.info['transparency'] = (0, 0, 0)
    _assert_looks_like(rgb, expected)


# ----- everything else -----

def test_plain_palette_grey_and_rgb_are_unchanged() -> None:
    image, expected = _palette_image()
    _assert_looks_like(image, expected, tolerance=0)
    _assert_looks_like(Image.fromarray(RAMP.astype(np.uint8)), _grey(RAMP), tolerance=0)
    photo = Image.open(FIXTURES / 'astronaut.png')
    _assert_looks_like(photo, np.asarray(photo, dtype=np.float64), tolerance=0)


def test_one_bit() -> None:
    checks = (np.indices((SIDE, SIDE)).sum(axis=0) % 2).astype(bool)
    image = Image.fromarray(checks)
    assert image.mode == '1'
    _assert_looks_like(image, _grey(checks * 255.0), tolerance=0)


def test_cmyk() -> None:
    photo = Image.open(FIXTURES / 'astronaut.png').convert('RGB')
    cmyk = photo.convert('CMYK')
    _assert_looks_like(cmyk, np.asarray(photo, dtype=np.float64), tolerance=0)
    # A CMYK JPEG (a print file) as Pillow opens it: close to the photo, the losses of JPEG aside.
    buffer = io.BytesIO()
    cmyk.save(buffer, 'JPEG', quality=95)
    reopened = Image.open(io.BytesIO(buffer.getvalue()))
    assert reopened.mode == 'CMYK'
    difference = np.abs(np.asarray(to_rgb(reopened), dtype=np.float64) - np.asarray(photo, dtype=np.float64))
    assert difference.mean() < 4


@pytest.mark.parametrize('mode', ['YCbCr', 'HSV'])
def test_other_colour_models(mode: str) -> None:
    photo = Image.open(FIXTURES / 'astronaut.png').convert('RGB')
    difference = np.abs(np.asarray(to_rgb(photo.convert(mode)), dtype=np.float64) - np.asarray(photo, np.float64))
    assert difference.mean() < 2


def test_an_embedded_srgb_profile_changes_nothing_visible() -> None:
    photo = Image.open(FIXTURES / 'astronaut.png').convert('RGB')
    buffer = io.BytesIO()
    photo.save(buffer, 'PNG', icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes())
    tagged = Image.open(io.BytesIO(buffer.getvalue()))
    assert tagged.info.get('icc_profile')
    _assert_looks_like(tagged, np.asarray(photo, dtype=np.float64), tolerance=2)


def test_a_broken_profile_still_gives_the_picture() -> None:
    photo = Image.open(FIXTURES / 'astronaut.png').convert('RGB')
    photo.info['icc_profile'] = b'not a profile'
    _assert_looks_like(photo, np.asarray(photo, dtype=np.float64), tolerance=0)


# ----- the case from the issue: a good 16-bit photo, and the face check -----

def _sixteen_bit_png(path: Path) -> bytes:
    grey = np.asarray(Image.open(path).convert('L'), dtype=np.uint16) * 257
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, 'PNG')
    return buffer.getvalue()


def test_a_16_bit_greyscale_photo_keeps_its_face() -> None:
    data = _sixteen_bit_png(FIXTURES / 'astronaut.png')
    assert Image.open(io.BytesIO(data)).mode == 'I;16'
    processed = process_upload(data, 'portrait-16bit.png', max_bytes=10 * 1024 * 1024)
    sent = Image.open(io.BytesIO(processed.content))
    expected = np.asarray(Image.open(FIXTURES / 'astronaut.png').convert('L'), dtype=np.float64)
    assert np.abs(np.asarray(sent.convert('L'), dtype=np.float64) - expected).mean() < 3
    assert _extremes(sent) < _extremes(Image.open(FIXTURES / 'astronaut.png')) + 0.02
    assert face_detector().detect(sent), 'the face in the photo was not found after conversion'
    # The sandbox decodes a 16-bit upload sent straight to it (the CLI, another client) the same way.
    checked = open_checked(data, max_bytes=10 * 1024 * 1024, max_pixels=40_000_000)
    assert face_detector().detect(checked.image)
