"""/media/chat/{token}: a chat picture, only for its owner, only with a valid signed link (as /media serves covers).

The links are the same owner-bound, expiring tokens as cover links (services/studio/preview_urls.py), under a path
of their own because the pictures live in the database, not in files.
"""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import PlainTextResponse
from nicegui import app

from pages.media import verified
from runtime import runtime
from services.studio.preview_urls import MEDIA_PREFIX

CHAT_MEDIA_PREFIX = MEDIA_PREFIX + '/chat'


def setup() -> None:
    app.add_api_route(CHAT_MEDIA_PREFIX + '/{token}', chat_picture, methods=['GET'], include_in_schema=False)


def picture_url(owner_id: str, message_id: str, *, full: bool = False) -> str:
    url = runtime.previews.url(owner_id, 'chat-picture-full' if full else 'chat-picture', message_id)
    return CHAT_MEDIA_PREFIX + url.removeprefix(MEDIA_PREFIX)


async def chat_picture(token: str) -> Response:
    target = verified(token)
    if isinstance(target, Response):
        return target
    if target.kind not in ('chat-picture', 'chat-picture-full'):
        return PlainTextResponse('No such image.', status_code=404)
    preview = target.kind == 'chat-picture'
    content = await runtime.chat.store.picture(target.owner_id, target.item_id, preview=preview)
    if content is None:
        return PlainTextResponse('This picture is no longer stored.', status_code=404)
    media_type = 'image/jpeg' if content[:3] == b'\xff\xd8\xff' else 'image/png'
    return Response(content, media_type=media_type, headers={'Cache-Control': 'private, max-age=600'})
