"""/_sandbox/faults and /_sandbox/latency: change faults and latency of a running sandbox over HTTP.

Accepted only from a program on this machine (guard.py says what that means), unless fault control is off:
then 404.
"""

from __future__ import annotations

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
