"""The reference-photo pipeline: check the upload, keep a clean copy, hand it to the platform, look for a face.

The file is trusted for nothing (services.studio.images re-encodes it in a thread, off the event loop); what the
platform gets is that re-encoded copy, never the upload itself. The copy is kept in the image store (suffix .jpg,
in the database, so any instance shows it); the platform's upload and its face check run side by side.
"""

from __future__ import annotations

import asyncio
import uuid

from services.auth.sessions import Principal
from services.platform.client import PlatformClient
from services.studio.drafts import RefPhoto
from services.studio.image_store import PHOTO, ImageStore
from services.studio.images import process_upload

PHOTO_SUFFIX = PHOTO


async def check_photo(platform: PlatformClient, store: ImageStore, principal: Principal, data: bytes,
                      filename: str, *, max_bytes: int) -> RefPhoto:
    """The photo as the draft keeps it. Raises ImageRejected (not a usable image) or PlatformError."""
    processed = await asyncio.to_thread(process_upload, data, filename, max_bytes=max_bytes)
    photo_id = uuid.uuid4().hex
    owner = principal.owner_id
    await store.save(owner, photo_id, processed.content, PHOTO_SUFFIX)
    creds = principal.credentials
    try:
        ref, face = await asyncio.gather(
            platform.upload_ref_image(creds, processed.content, processed.filename, processed.content_type),
            platform.face_detect(creds, processed.content, processed.filename, processed.content_type))
    except BaseException:
        forget_photo(store, owner, photo_id)  # the draft will never point at it
        raise
    return RefPhoto(photo_id=photo_id, filename=processed.filename, width=processed.width, height=processed.height,
                    ref_image_id=ref.refImageId, has_face=face.hasFace, face_count=face.faceCount)


def forget_photo(store: ImageStore, owner_id: str, photo_id: str) -> None:
    """Drop a photo the draft no longer points at (queued: the page does not wait for it)."""
    store.forget(owner_id, photo_id, PHOTO_SUFFIX)
