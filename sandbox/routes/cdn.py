"""GET /cdn/...: the image URLs handed out in answers (option previews, covers, official agents' covers).

Unauthenticated, like the platform's CDN: a browser loads them straight from an <img>.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from .. import catalogue, cover_art, profiles
from ..controller import controller_of

CACHE_FOREVER = {'Cache-Control': 'public, max-age=86400, immutable'}
# A cover is one person's (it may hold the face from their reference photo) and is deleted with their key: no
# shared cache may keep it, and a browser only briefly.
CACHE_PRIVATE = {'Cache-Control': 'private, max-age=600'}


async def option_preview(request: Request) -> Response:
    category, code = request.path_params['category'], request.path_params['code']
    if catalogue.find(category, code) is None:
        return PlainTextResponse('Not found', status_code=404)
    gender = request.query_params.get('gender')
    png = await controller_of(request).preview(category, code, gender if gender in catalogue.GENDERS else None)
    return Response(png, media_type='image/png', headers=CACHE_FOREVER)


async def cover_image(request: Request) -> Response:
    path = await asyncio.to_thread(controller_of(request).store.cover_file, request.path_params['cover_id'])
    if path is None:
        return PlainTextResponse('Not found', status_code=404)
    return FileResponse(path, media_type='image/png', headers=CACHE_PRIVATE)


async def official_cover(request: Request) -> Response:
    sandbox = controller_of(request)
    agent = profiles.official_agent(request.path_params['agent_id'])
    if agent is None:
        return PlainTextResponse('Not found', status_code=404)
    path = sandbox.official_dir / f'{agent["agentId"]}.png'

    def ensure() -> None:
        if not path.is_file():
            png = cover_art.png_bytes(cover_art.draw_cover(agent['fields'], seed=sandbox.config.seed))
            tmp = path.with_name(f'.{path.name}.tmp')
            tmp.write_bytes(png)
            tmp.replace(path)

    await asyncio.to_thread(ensure)
    return FileResponse(path, media_type='image/png', headers=CACHE_FOREVER)
