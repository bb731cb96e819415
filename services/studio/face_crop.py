"""The optional square crop around the face of a reference photo, made before the photo goes to the platform.

The platform's face check says whether (and, when it reports `faceCount`, how many) faces there are, but not where:
the studio finds the face itself with OpenCV's frontal-face Haar cascade, the same kind of detector the sandbox
uses. Everything here is CPU work on the already re-encoded photo (services.studio.images.process_upload): call it
in a thread, never on the event loop.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import cv2.data  # named: cv2's stubs do not list the submodule on the package
import numpy as np
from PIL import Image

from services.studio.images import JPEG_QUALITY, ProcessedImage

# Faces are found as well on a downscaled copy, several times faster.
DETECT_MAX_SIDE = 1024
# The square is this many face widths across: forehead, hair and chin stay in, the rest of the scene goes.
FACE_WIDTHS = 3.0
# ...but never smaller than this (when the photo allows): the guidance asks for at least 512 pixels, and a crop
# should not be what makes a good photo too small.
MIN_SIDE = 512

Box = tuple[int, int, int, int]  # x, y, width, height in the photo's pixels
# 'no_face': nothing to crop around, so the photo is used whole; 'already_square': the square would be the photo.
CropOutcome = Literal['cropped', 'no_face', 'already_square']


@dataclass(frozen=True)
class Cropped:
    image: ProcessedImage
    outcome: CropOutcome


class _Detector:
    """The cascade is loaded once; it is not documented as thread-safe, so calls are serialised."""

    def __init__(self) -> None:
        path = cv2.data.haarcascades + 'haarcascade_frontalface_default.xml'
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f'the Haar cascade could not be loaded from {path}')
        self._lock = threading.Lock()

    def largest_face(self, image: Image.Image) -> Box | None:
        scale = min(1.0, DETECT_MAX_SIDE / max(image.size))
        small = image if scale == 1.0 else image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR)
        gray = cv2.equalizeHist(np.asarray(small.convert('L')))
        side = max(24, min(gray.shape) // 10)
        with self._lock:
            found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        if len(found) == 0:
            return None
        x, y, w, h = max(found, key=lambda b: int(b[2]) * int(b[3]))
        return (round(int(x) / scale), round(int(y) / scale), round(int(w) / scale), round(int(h) / scale))


_detector: _Detector | None = None
_detector_lock = threading.Lock()


def _get_detector() -> _Detector:
    global _detector
    with _detector_lock:
        if _detector is None:
            _detector = _Detector()
        return _detector


def square_around(box: Box, width: int, height: int) -> Box:
    """The largest sensible square centred on the face, moved (not shrunk) to stay inside the photo when it can."""
    x, y, w, h = box
    side = min(width, height, max(MIN_SIDE, round(max(w, h) * FACE_WIDTHS)))
    centre_x, centre_y = x + w / 2, y + h / 2
    left = min(max(0, round(centre_x - side / 2)), width - side)
    top = min(max(0, round(centre_y - side / 2)), height - side)
    return left, top, side, side


def crop_to_face(processed: ProcessedImage) -> Cropped:
    """The photo cut to a square around its largest face, re-encoded as JPEG; unchanged when no face is found."""
    with Image.open(io.BytesIO(processed.content)) as opened:
        image = opened.convert('RGB')
    box = _get_detector().largest_face(image)
    if box is None:
        return Cropped(processed, 'no_face')
    left, top, side, _ = square_around(box, image.width, image.height)
    if side == image.width == image.height:
        return Cropped(processed, 'already_square')
    square = image.crop((left, top, left + side, top + side))
    out = io.BytesIO()
    square.save(out, format='JPEG', quality=JPEG_QUALITY, optimize=True)
    return Cropped(replace(processed, content=out.getvalue(), width=side, height=side), 'cropped')
