"""The app's image route: covers and reference photos, only for their owner, only with a valid signed URL.

The images are in the database (services/studio/image_store.py), so whichever instance a request reaches serves it.
"""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import PlainTextResponse
from nicegui import app

from runtime import runtime
from services.core.db import DatabaseUnavailable
from services.studio.preview_urls import MEDIA_PREFIX, PreviewDenied, PreviewTarget


def setup() -> None:
    app.add_api_route(MEDIA_PREFIX + '/{token}', media, methods=['GET'], include_in_schema=False)


def verified(token: str) -> PreviewTarget | Response:
    """What a signed media link points at, if it is valid and belongs to the person asking; else the refusal."""
    principal = runtime.auth.current_principal()
    try:
        return runtime.previews.verify(token, principal.owner_id if principal else None)
    except PreviewDenied as denied:
        return PlainTextResponse(denied.reason, status_code=denied.status)


async def media(token: str) -> Response:
    target = verified(token)
    if isinstance(target, Response):
        return target
    jobs = runtime.jobs
    try:
        await jobs.load(target.owner_id)  # this instance may not have shown this person anything yet
        if target.kind == 'cover':
            content = await jobs.cover_image(target.owner_id, target.item_id)
            found = None if content is None else (content, 'image/png')
        elif target.kind == 'cover-preview':
            found = await jobs.cover_preview(target.owner_id, target.item_id)
        else:
            content = await jobs.photo(target.owner_id, target.item_id)
            found = None if content is None else (content, 'image/jpeg')
    except DatabaseUnavailable as unavailable:
        return PlainTextResponse(unavailable.user_message, status_code=503,
                                 headers={'Retry-After': str(round(unavailable.retry_after))})
    if found is None:
        return PlainTextResponse('This image is no longer stored.', status_code=404)
    # Private: the URL is per person; the browser may keep it while the tab lives.
    return Response(found[0], media_type=found[1], headers={'Cache-Control': 'private, max-age=600'})
