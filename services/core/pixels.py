"""Any image Pillow opens, as the 8-bit RGB picture a person sees: for the studio's uploads and the sandbox alike.

`Image.convert('RGB')` alone is wrong for several modes, and silently so:

- 16-bit greyscale (`I;16`, what a 16-bit greyscale PNG opens as) and 32-bit `I` / float `F` are *clipped* to
  0-255 instead of scaled: a 16-bit photo comes out 96 % pure black or white, and the face check then finds no
  face in a good photo;
- transparency (RGBA, LA, PA, a palette or grey image with a transparent entry) is dropped, so whatever colour
  the invisible pixels happen to hold (often black) shows up;
- an embedded colour profile (CMYK print files, Display-P3 phone photos) is ignored, so colours shift once the
  profile is gone from the re-encoded file.

Transparent areas are laid on white, as a browser shows a transparent image on a white page.
"""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image, ImageCms

log = logging.getLogger(__name__)

WHITE = (255, 255, 255)
DEEP_MODES = ('I;16', 'I;16L', 'I;16B', 'I;16N', 'I', 'F')
ALPHA_MODES = ('RGBA', 'LA', 'PA', 'RGBa', 'La')
_SRGB = ImageCms.createProfile('sRGB')


def to_rgb(image: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """An 8-bit RGB copy of `image` that looks like it: deep modes scaled, transparency flattened on `background`,
    an embedded colour profile applied. Loads the pixels; CPU-bound, so call it off the event loop."""
    image = _apply_profile(image)
    if image.mode in ('P', 'L', 'RGB', '1') and 'transparency' in image.info:
        image = image.convert('RGBA')  # the transparent entry or colour becomes an alpha channel
    alpha = _alpha(image)
    if image.mode in DEEP_MODES:
        image = _deep_to_grey(image)
    elif image.mode == 'La':
        image = image.convert('LA')  # premultiplied grey: Pillow converts it to RGB only by way of LA
    rgb = image.convert('RGB') if image.mode != 'RGB' else image
    if alpha is None:
        return rgb
    flat = Image.new('RGB', rgb.size, background)
    flat.paste(rgb, mask=alpha)
    return flat


def _alpha(image: Image.Image) -> Image.Image | None:
    """The image's opacity as an 'L' mask, or None when every pixel is opaque."""
    transparency = image.info.get('transparency')
    if image.mode in ALPHA_MODES:
        alpha = image.convert('RGBA' if image.mode != 'La' else 'LA').getchannel('A')
    elif image.mode in DEEP_MODES and isinstance(transparency, int | float):
        # A 16-bit grey PNG's tRNS chunk names one grey value that is fully transparent.
        opaque = np.asarray(image) != transparency
        alpha = Image.fromarray((opaque * 255).astype(np.uint8), 'L')
    else:
        return None
    low, _ = alpha.getextrema()
    return None if low == 255 else alpha


def _deep_to_grey(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or float greyscale image as 8-bit 'L', scaled to its range instead of clipped.

    `I;16` is full-scale 16-bit by definition. `I` and `F` say nothing about their range, so it is read from the
    values: 0-1 (float images), 0-255, 0-65535, or else the image's own minimum to maximum."""
    if image.mode.startswith('I;16'):
        low, high = 0.0, 65535.0
    else:
        extrema = image.getextrema()
        low_value, high_value = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
        if low_value >= 0 and high_value <= 1 and image.mode == 'F':
            low, high = 0.0, 1.0
        elif low_value >= 0 and high_value <= 255:
            low, high = 0.0, 255.0
        elif low_value >= 0 and high_value <= 65535:
            low, high = 0.0, 65535.0
        else:
            low, high = low_value, max(high_value, low_value + 1)
    scale = 255.0 / (high - low)
    # point() with a linear function runs in Pillow's C code: no copy of the pixels in Python floats.
    source = image if image.mode == 'F' else image.convert('I')
    scaled = source.point(lambda value: value * scale - low * scale)
    return scaled.convert('L')


def _apply_profile(image: Image.Image) -> Image.Image:
    """The image in sRGB when it carries an ICC profile (the re-encoded copy will not); unchanged otherwise."""
    icc = image.info.get('icc_profile')
    if not icc or image.mode not in ('RGB', 'RGBA', 'CMYK', 'L', 'LA'):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode == 'CMYK':
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode='RGB') or image
        if image.mode in ('RGBA', 'LA'):
            alpha = image.getchannel('A')
            colour = image.convert('RGB' if image.mode == 'RGBA' else 'L')
            converted = ImageCms.profileToProfile(colour, source, _SRGB, outputMode='RGB') or colour.convert('RGB')
            converted.putalpha(alpha)
            return converted
        if image.mode == 'L' and source.profile.xcolor_space.strip() != 'GRAY':
            return image
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode='RGB') or image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError, AttributeError) as error:
        # A broken or unusual profile must not cost the person their photo: the plain conversion follows.
        log.info('colour profile not applied (%s); converting without it', error)
        return image
