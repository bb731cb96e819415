"""POST /v1/agent/ref-image and /v1/agent/face-detect: the two multipart endpoints taking a photo."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from .. import cover_art, images
from ..auth import Caller
from ..controller import controller_of
from ..endpoint import api
from ..protocol import ok


@api('ref_image', multipart=True)
async def ref_image_view(request: Request, caller: Caller, content: bytes) -> Response:
    sandbox = controller_of(request)

    def check_and_store() -> str:
        checked = images.open_checked(content, max_bytes=sandbox.config.max_upload_bytes,
                                      max_pixels=sandbox.config.max_pixels)
        faces = images.face_detector().detect(checked.image)
        face_png = cover_art.face_thumbnail(checked.image, faces[0]) if faces else None  # for covers later
        return sandbox.store.add_ref_image(caller.api_key, content, checked.extension, faces, face_png)

    return ok({'refImageId': await asyncio.to_thread(check_and_store)})


@api('face_detect', multipart=True)
async def face_detect_view(request: Request, caller: Caller, content: bytes) -> Response:
    config = controller_of(request).config

    def detect() -> int:
        checked = images.open_checked(content, max_bytes=config.max_upload_bytes, max_pixels=config.max_pixels)
        return len(images.face_detector().detect(checked.image))

    count = await asyncio.to_thread(detect)
    return ok({'hasFace': count > 0, 'faceCount': count})
