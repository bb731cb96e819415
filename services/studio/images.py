"""Safe processing of uploaded reference photos and of the platform's cover images.

Everything here is synchronous and CPU-bound: callers run it in a thread (asyncio.to_thread /
run.io_bound), never on the event loop.

An upload is trusted for nothing: its type is read from its bytes (not its name), its pixel count is
checked from the header before any pixel is decoded (decompression bombs), it is fully decoded once
(truncated files fail here, not later), turned upright from its EXIF orientation and re-encoded, which
also drops every metadata block (GPS position, camera serial) before it leaves for the platform.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.core.errors import UserFacingError
from services.core.i18n import _
from services.core.pixels import to_rgb
from services.studio.upload_rules import ACCEPTED_LABEL as ACCEPTED_LABEL  # pages import it from here still
from services.studio.upload_rules import (
    accepted_label,
    format_refusal,
    kind_of_bytes,
    too_large_message,
)

ACCEPTED_FORMATS = {'JPEG': 'image/jpeg', 'PNG': 'image/png', 'WEBP': 'image/webp'}
# 40 megapixels is more than any phone camera; a larger header is almost certainly a bomb.
MAX_PIXELS = 40_000_000
# The platform only needs a face-sized reference; a smaller upload is faster for everyone.
MAX_SIDE = 2048
JPEG_QUALITY = 90


class ImageRejected(UserFacingError, ValueError):
    """The file cannot be used; `user_message` says why in words a person understands."""


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    content_type: str
    filename: str
    width: int
    height: int
    source_format: str
    rotated: bool


def process_upload(data: bytes, filename: str, *, max_bytes: int) -> ProcessedImage:
    """Validate, decode, orient and re-encode an uploaded photo as JPEG. Raises ImageRejected."""
    if not data:
        raise ImageRejected(_('The file is empty. Choose a photo (JPEG, PNG or WebP).'))
    if len(data) > max_bytes:
        raise ImageRejected(too_large_message(len(data), max_bytes))
    image = _open_checked(data)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(_('The image is damaged or incomplete (it may have been cut off while copying). '
                            'Try exporting it again.')) from error
    source_format = image.format or 'unknown'
    rotated = _orientation(image) not in (None, 1)
    # To RGB before shrinking: 16-bit and transparent images keep their look (services/core/pixels.py), and the
    # resampling then always works on full colour (a palette image would otherwise be shrunk pixel-dropping).
    rgb = to_rgb(ImageOps.exif_transpose(image))
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format='JPEG', quality=JPEG_QUALITY, optimize=True)
    stem = (filename.rsplit('.', 1)[0] if filename else 'photo').strip() or 'photo'
    safe_stem = ''.join(c if c.isalnum() or c in '-_' else '_' for c in stem)[:60] or 'photo'
    return ProcessedImage(content=out.getvalue(), content_type='image/jpeg', filename=f'{safe_stem}.jpg',
                          width=rgb.width, height=rgb.height, source_format=source_format, rotated=rotated)


def decode_data_url_to_png(data_url: str, *, max_bytes: int = 40 * 1024 * 1024) -> bytes:
    """The platform's `data:image/...;base64,...` preview as PNG bytes (re-encoded only when not PNG)."""
    header, sep, payload = data_url.partition(',')
    if not sep or not header.startswith('data:image/') or ';base64' not in header:
        raise ImageRejected(_('The platform sent a cover that is not an image.'))
    try:
        raw = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as error:
        raise ImageRejected(_('The platform sent a cover image that could not be decoded.')) from error
    if len(raw) > max_bytes:
        raise ImageRejected(_('The platform sent a cover image that is unreasonably large.'))
    image = _open_checked(raw, accepted=None)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(_('The platform sent a damaged cover image.')) from error
    if image.format == 'PNG':
        return raw
    out = io.BytesIO()
    image.save(out, format='PNG')
    return out.getvalue()


def _open_checked(data: bytes, accepted: dict[str, str] | None = ACCEPTED_FORMATS) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice its limit; we refuse on our own, lower limit.
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_('The image has far too many pixels to be a photo. Choose a normal photo.')) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        if (kind := kind_of_bytes(data)) is not None:
            raise ImageRejected(format_refusal(kind)) from None  # HEIC: Pillow cannot open it, but it is a photo
        raise ImageRejected(_('This file is not an image we can read. Choose a photo in {formats} format.')
                            .format(formats=accepted_label())) \
            from None
    if accepted is not None and image.format not in accepted:
        kind = kind_of_bytes(data, image.format) or 'other'
        raise ImageRejected(format_refusal(kind, image.format or ''))
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise ImageRejected(_('The image is {width}×{height} pixels, too many to be a photo (the limit is {limit} '
                              'megapixels).').format(width=width, height=height, limit=MAX_PIXELS // 1_000_000))
    if getattr(image, 'n_frames', 1) > 1 and image.format != 'PNG':
        image.seek(0)  # animated WebP: the first frame is the photo
    return image


def _orientation(image: Image.Image) -> int | None:
    try:
        return image.getexif().get(0x0112)
    except (OSError, ValueError):
        return None
