"""POST /v1/agent/cover, /v1/agent/create and /v1/agent/list: drawing a cover, making an agent of it,
and paging through a key's agents (or the official ones)."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import catalogue, cover_art, profiles, validation
from ..auth import Caller
from ..controller import controller_of
from ..endpoint import api
from ..protocol import bad_request, not_found, ok
from ..request_io import sleep_unless_gone
from ..store import CoverUnavailable, new_id

COVER_EXPIRED = 'coverId is expired or invalid, please regenerate cover'


@api('cover')
async def cover_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    sandbox = controller_of(request)
    attrs = validation.cover_attributes(body)
    ref_id = validation.ref_image_id(body)
    ref = None
    if ref_id is not None:
        ref = await asyncio.to_thread(sandbox.store.ref_image, caller.api_key, ref_id)
        if ref is None:
            raise not_found(f"refImageId '{ref_id}' was not found: upload the reference image again")
    if await sleep_unless_gone(request.receive, sandbox.latency()):
        return Response(status_code=499)  # nobody is listening any more
    seed = sandbox.config.seed

    def render() -> tuple[str, str]:
        face = None
        if ref is not None and ref.faces:
            face = cover_art.load_face(ref.face_path, ref.path, ref.faces[0])
        png = cover_art.png_bytes(cover_art.draw_cover(attrs, seed=seed, face=face))
        stored = {**attrs, **({'refImageId': ref_id} if ref_id else {})}
        cover_id = sandbox.store.add_cover(caller.api_key, png, stored, sandbox.config.cover_ttl_seconds)
        return cover_id, 'data:image/png;base64,' + base64.b64encode(png).decode()

    cover_id, data_url = await asyncio.to_thread(render)
    await sandbox.purge_if_due()
    return ok({'coverId': cover_id, 'imageData': data_url})


@api('create')
async def create_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    sandbox = controller_of(request)
    fields = validation.create_fields(body)
    ref_id = validation.ref_image_id(body)
    if ref_id is not None:
        if await asyncio.to_thread(sandbox.store.ref_image, caller.api_key, ref_id) is None:
            raise not_found(f"refImageId '{ref_id}' was not found: upload the reference image again")
        fields['refImageId'] = ref_id
    cover_id = body.get('coverId')
    if not isinstance(cover_id, str) or not cover_id.strip():
        raise bad_request('coverId is required: generate a cover first')
    cover_id = cover_id.strip()
    if not await asyncio.to_thread(sandbox.store.cover_usable, caller.api_key, cover_id):
        raise not_found(COVER_EXPIRED)
    if await sleep_unless_gone(request.receive, sandbox.latency(sandbox.config.create_latency_share)):
        return Response(status_code=499)
    agent_id = new_id()
    try:
        await asyncio.to_thread(sandbox.store.claim_cover, caller.api_key, cover_id, agent_id)
    except CoverUnavailable:
        raise not_found(COVER_EXPIRED) from None  # expired or used by a concurrent create meanwhile
    profile = profiles.generate_profile(fields, fields['language'])
    try:
        await asyncio.to_thread(sandbox.store.add_agent, caller.api_key, caller.user_id, agent_id, fields['name'],
                                cover_id, fields, profile)
    except Exception:
        await asyncio.to_thread(sandbox.store.release_cover, cover_id, agent_id)
        raise
    base = sandbox.public_base(request)
    return ok({'agentId': agent_id, 'name': fields['name'], 'coverUrl': f'{base}/cdn/covers/{cover_id}.png'})


@api('list')
async def list_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    sandbox = controller_of(request)
    kind = body.get('type') or 'custom'
    if kind not in ('custom', 'official'):
        raise bad_request("type must be 'custom' or 'official'")
    number, size = validation.page(body)
    language = catalogue.normalise_language(body.get('language'))
    base = sandbox.public_base(request)
    if kind == 'custom':
        rows, total = await asyncio.to_thread(sandbox.store.list_agents, caller.api_key, (number - 1) * size, size)
        records = [_record(row.id, row.name, row.fields, row.profile, row.created_at, language,
                           f'{base}/cdn/covers/{row.cover_id}.png', 'custom') for row in rows]
    else:
        chosen = profiles.OFFICIAL_AGENTS[(number - 1) * size:number * size]
        total = len(profiles.OFFICIAL_AGENTS)
        records = []
        for agent in chosen:
            name = agent['names'].get(language) or agent['names']['en']
            fields = {**agent['fields'], 'name': name, 'language': language}
            records.append(_record(agent['agentId'], name, fields, profiles.generate_profile(fields, language),
                                   profiles.OFFICIAL_CREATED_AT, language,
                                   f'{base}/cdn/official/{agent["agentId"]}.png', 'official'))
    return ok({'records': records, 'total': total, 'pageNumber': number, 'pageSize': size})


def _record(agent_id: str, name: str, fields: dict[str, Any], profile: dict[str, Any], created_at: float,
            language: str, cover_url: str, kind: str) -> dict[str, Any]:
    labels = {category: catalogue.label_of(category, fields.get(field), language)
              for field, category in catalogue.FIELD_CATEGORY.items() if fields.get(field)}
    attributes = {field: fields[field] for field in catalogue.FIELD_CATEGORY if fields.get(field)}
    return {
        'agentId': agent_id, 'name': name, 'coverUrl': cover_url, 'gender': fields.get('gender'), **attributes,
        'agentLanguage': fields.get('language'), 'labels': labels, 'type': kind, **profile,
        'createdAt': datetime.fromtimestamp(created_at, UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z'),
    }
