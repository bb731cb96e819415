"""The app's image route: covers and reference photos, only for their owner, only with a valid signed URL."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import FileResponse, PlainTextResponse
from nicegui import app

from runtime import runtime
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
    if target.kind == 'cover':
        path = jobs.cover_path(target.owner_id, target.item_id)
        media_type = 'image/png'
    elif target.kind == 'cover-preview':
        path = jobs.cover_preview_path(target.owner_id, target.item_id)
        media_type = 'image/jpeg' if path is not None and path.name.endswith('.jpg') else 'image/png'
    else:
        path = jobs.covers.find(target.owner_id, target.item_id, '.jpg')
        media_type = 'image/jpeg'
    if path is None:
        return PlainTextResponse('This image is no longer stored.', status_code=404)
    # Private: the URL is per person; the browser may keep it while the tab lives.
    return FileResponse(path, media_type=media_type, headers={'Cache-Control': 'private, max-age=600'})
