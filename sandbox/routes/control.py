"""/_sandbox/faults, /_sandbox/latency and /_sandbox/chat: change faults and latencies of a running sandbox.

Accepted from this machine only (and not through a proxy), unless fault control is off: then 404.
"""

from __future__ import annotations

import ipaddress
import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.core.settings import SettingsError, parse_latency

from ..controller import controller_of
from ..faults import FaultSpecError


def _loopback_only(request: Request) -> None:
    if not controller_of(request).config.allow_fault_control:
        raise HTTPException(404)
    host = request.client.host if request.client else ''
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host == 'localhost'
    # A reverse proxy on the same machine also connects from loopback; its forwarding headers give it away.
    proxied = any(h in request.headers for h in ('forwarded', 'x-forwarded-for', 'x-real-ip'))
    if not local or proxied:
        raise HTTPException(403, 'fault control is only accepted from this machine')


async def faults_control(request: Request) -> Response:
    _loopback_only(request)
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
    _loopback_only(request)
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
    _loopback_only(request)
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
