"""The reference-photo pipeline: check the upload, keep a clean copy, hand it to the platform, look for a face.

The file is trusted for nothing (services.studio.images re-encodes it in a thread, off the event loop); what the
platform gets is that re-encoded copy, never the upload itself. The copy is kept in the image store (suffix .jpg,
in the database, so any instance shows it); the platform's upload and its face check run side by side. Asked to,
the copy is first cut to a square around the face (services.studio.face_crop), in a thread.

The name the person sees is their own file's (`astronaut.png`), made safe to show; the platform gets the name of
what it is sent (`astronaut.jpg`), since that is a JPEG whatever the upload was.
"""

from __future__ import annotations

import asyncio
import re
import uuid

from services.auth.sessions import Principal
from services.platform.client import PlatformClient
from services.studio.drafts import RefPhoto
from services.studio.face_crop import crop_to_face
from services.studio.image_store import PHOTO, ImageStore
from services.studio.images import process_upload

PHOTO_SUFFIX = PHOTO
_UNSAFE = re.compile(r'[^\w\-. ]+')


def shown_name(filename: str) -> str:
    """The upload's own name as a person may see it: its last path part, no markup or control characters, no
    leading dots, at most 80 characters (the extension kept)."""
    base = re.split(r'[\\/]', filename or '')[-1]
    clean = _UNSAFE.sub('_', base).strip(' .') or 'photo'
    clean = re.sub(r'\.{2,}', '.', clean)
    if len(clean) > 80:
        stem, dot, ext = clean.rpartition('.')
        clean = (stem[:70] + dot + ext[:9]) if dot and len(ext) <= 9 else clean[:80]
    return clean


async def check_photo(platform: PlatformClient, store: ImageStore, principal: Principal, data: bytes,
                      filename: str, *, max_bytes: int, crop: bool = False) -> RefPhoto:
    """The photo as the draft keeps it. Raises ImageRejected (not a usable image) or PlatformError."""
    processed = await asyncio.to_thread(process_upload, data, filename, max_bytes=max_bytes)
    crop_outcome: str | None = None
    if crop:
        cropped = await asyncio.to_thread(crop_to_face, processed)
        processed, crop_outcome = cropped.image, cropped.outcome
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
    return RefPhoto(photo_id=photo_id, filename=shown_name(filename), width=processed.width, height=processed.height,
                    ref_image_id=ref.refImageId, has_face=face.hasFace, face_count=face.faceCount, crop=crop_outcome)


def forget_photo(store: ImageStore, owner_id: str, photo_id: str) -> None:
    """Drop a photo the draft no longer points at (queued: the page does not wait for it)."""
    store.forget(owner_id, photo_id, PHOTO_SUFFIX)
