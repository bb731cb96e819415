"""/_sandbox/faults, /_sandbox/latency, /_sandbox/chat and /_sandbox/keys: change faults, latencies and
the chat stream of a running sandbox, and issue and revoke API keys (one per demo visitor), over HTTP.

Accepted only from a program on this machine (guard.py says what that means), unless fault control is off:
then 404.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.core.settings import SettingsError, parse_latency

from ..controller import controller_of
from ..faults import FaultSpecError
from .guard import require_control_request


async def faults_control(request: Request) -> Response:
    require_control_request(request)
    faults = controller_of(request).faults
    if request.method == 'DELETE':
        faults.clear(request.query_params.get('endpoint') or None)
    elif request.method == 'POST':
        try:
            spec = json.loads(await request.body() or b'{}')
            if not isinstance(spec, dict):
                raise FaultSpecError('send a JSON object {"endpoint", "kind", "times"}')
            if spec.get('spec'):
                faults.load_spec(str(spec['spec']))
            else:
                faults.set(spec.get('endpoint', ''), spec.get('kind', ''), spec.get('times'))
        except (ValueError, FaultSpecError) as error:
            return JSONResponse({'error': str(error)}, status_code=400)
    return JSONResponse({'faults': faults.snapshot()})


async def latency_control(request: Request) -> Response:
    require_control_request(request)
    config = controller_of(request).config
    if request.method == 'POST':
        try:
            spec = json.loads(await request.body() or b'{}')
            config.latency = parse_latency(str(spec.get('latency', '')), var='latency')
        except (ValueError, SettingsError, AttributeError) as error:
            return JSONResponse({'error': str(error)}, status_code=400)
    return JSONResponse({'latency': list(config.latency)})


async def chat_control(request: Request) -> Response:
    """/_sandbox/chat: {"pace": "0.05-0.1"} seconds between reply pieces, {"imageLatency": "30-90"} for chat
    pictures, {"streamFormat": "sse" | "ndjson" | "json"}; each optional. GET shows them."""
    require_control_request(request)
    chat = controller_of(request).chat
    if request.method == 'POST':
        try:
            spec = json.loads(await request.body() or b'{}')
            if not isinstance(spec, dict):
                raise ValueError('send a JSON object {"pace", "imageLatency", "streamFormat"}')
            pace = parse_latency(str(spec['pace']), var='pace') if 'pace' in spec else chat.pace
            image = parse_latency(str(spec['imageLatency']), var='imageLatency') if 'imageLatency' in spec \
                else chat.image_latency
            shape = spec.get('streamFormat', chat.stream_format)
            if shape not in ('sse', 'ndjson', 'json'):
                raise ValueError("streamFormat must be 'sse', 'ndjson' or 'json'")
        except (ValueError, SettingsError) as error:
            return JSONResponse({'error': str(error)}, status_code=400)
        chat.pace, chat.image_latency, chat.stream_format = pace, image, shape
    return JSONResponse({'pace': list(chat.pace), 'imageLatency': list(chat.image_latency),
                         'streamFormat': chat.stream_format})


async def keys_control(request: Request) -> Response:
    """POST: issue a key of its own (body `{"label": "..."}`), answered once with its secret. GET: the issued keys,
    without secrets. DELETE ?apiKey=...: revoke an issued key and delete everything made with it."""
    require_control_request(request)
    sandbox = controller_of(request)
    if request.method == 'POST':
        try:
            spec = json.loads(await request.body() or b'{}')
            label = str(spec.get('label', '')) if isinstance(spec, dict) else ''
        except ValueError as error:
            return JSONResponse({'error': f'send a JSON object {{"label": "..."}} ({error})'}, status_code=400)
        key = await asyncio.to_thread(sandbox.issue_key, label)
        return JSONResponse({'apiKey': key.api_key, 'apiSecret': key.secret, 'label': key.label}, status_code=201,
                            headers={'Cache-Control': 'no-store'})
    if request.method == 'DELETE':
        api_key = request.query_params.get('apiKey', '')
        deleted = await asyncio.to_thread(sandbox.revoke_key, api_key)
        if deleted is None:
            return JSONResponse({'error': 'no such issued key (keys given at start cannot be revoked here)'},
                                status_code=404)
        return JSONResponse({'revoked': api_key, 'deleted': deleted})
    return JSONResponse({'keys': [{'apiKey': key.api_key, 'label': key.label, 'createdAt': key.created_at}
                                  for key in sandbox.issued.all()]})
