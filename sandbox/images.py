"""Reference-image checks and the face detector. Everything here is CPU work: call it from a thread.

An upload is opened to read its header first; the pixel count is checked before any decoding, so a
decompression bomb is refused without ever being inflated.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import cv2
import cv2.data  # cv2.data.haarcascades; named here because cv2's stubs do not list the submodule on the package
import numpy as np
from PIL import Image, UnidentifiedImageError

from services.core.pixels import to_rgb

from .protocol import SandboxError, bad_request

ACCEPTED_FORMATS = {'JPEG': 'jpg', 'PNG': 'png', 'WEBP': 'webp'}
DETECT_MAX_SIDE = 1024  # faces are found as well on a downscaled copy, several times faster


@dataclass(frozen=True)
class CheckedImage:
    image: Image.Image  # decoded, RGB
    format: str  # 'JPEG' | 'PNG' | 'WEBP'
    extension: str


def describe_bytes(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f'{limit // (1024 * 1024)} MB'
    if limit >= 1024 * 1024:
        return f'{limit / (1024 * 1024):.1f} MB'
    return f'{max(1, limit // 1024)} KB'


def check_size(size: int, limit: int) -> None:
    if size == 0:
        raise bad_request('The file is empty')
    if size > limit:
        raise bad_request(f'The file is too large: the limit is {describe_bytes(limit)}')


def open_checked(content: bytes, *, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Decode an upload or raise a 10400 SandboxError that names the problem."""
    check_size(len(content), max_bytes)
    try:
        image = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise bad_request('The file is not an image: upload a JPEG, PNG or WebP photo') from None
    if image.format not in ACCEPTED_FORMATS:
        raise bad_request(f'{image.format or "This"} images are not accepted: upload a JPEG, PNG or WebP photo')
    width, height = image.size
    if width * height > max_pixels:  # checked on the header, before a single pixel is decoded
        raise _too_many_pixels(max_pixels, width, height)
    if width < 16 or height < 16:
        raise bad_request(f'The image is too small ({width}×{height}): at least 16×16 pixels')
    try:
        image.load()
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels) from None
    except (OSError, SyntaxError, ValueError):
        raise bad_request('The image file is damaged or truncated: upload the complete file') from None
    # Not image.convert('RGB'): that clips a 16-bit photo to black and white, and no face is found in it.
    return CheckedImage(to_rgb(image), image.format, ACCEPTED_FORMATS[image.format])


def _too_many_pixels(limit: int, width: int | None = None, height: int | None = None) -> SandboxError:
    size = f' ({width}×{height})' if width and height else ''
    return bad_request(f'The image has too many pixels{size}: the limit is {limit / 1e6:g} megapixels')


class FaceDetector:
    """OpenCV's frontal-face Haar cascade, loaded once. The classifier is not documented as thread-safe,
    so calls are serialised; one detection takes well under 100 ms on a 1024-pixel image."""

    def __init__(self) -> None:
        path = cv2.data.haarcascades + 'haarcascade_frontalface_default.xml'
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f'the Haar cascade could not be loaded from {path}')
        self._lock = threading.Lock()

    def detect(self, image: Image.Image) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) in the image's own pixel coordinates, largest first."""
        scale = min(1.0, DETECT_MAX_SIDE / max(image.size))
        small = image if scale == 1.0 else image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR)
        gray = cv2.equalizeHist(np.asarray(small.convert('L')))
        min_side = max(24, min(gray.shape) // 10)
        with self._lock:
            found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                                   minSize=(min_side, min_side))
        boxes = [(_unscale(x, scale), _unscale(y, scale), _unscale(w, scale), _unscale(h, scale))
                 for x, y, w, h in found]
        return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


def _unscale(value: float, scale: float) -> int:
    """A coordinate found on the downscaled image, back in the original's pixels (rounded)."""
    return int(float(value) / scale + 0.5)


_detector: FaceDetector | None = None
_detector_lock = threading.Lock()


def face_detector() -> FaceDetector:
    global _detector
    with _detector_lock:
        if _detector is None:
            _detector = FaceDetector()
        return _detector
