"""The wrapper every platform endpoint (/v1/...) runs in: bounded body, authentication, injected fault,
and an envelope on every error.

Request life: read the body (bounded) -> authenticate against the exact bytes -> injected fault, if any
-> the endpoint. CPU work (decoding, face detection, drawing) and SQLite go to threads; latency is an
asyncio sleep that ends early when the client hangs up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from services.platform.signing import request_body_fields

from . import images
from .auth import Caller, authenticate
from .controller import controller_of
from .fault_responses import FaultResponse
from .protocol import INTERNAL, SandboxError, bad_request, envelope_response, error_response
from .request_io import read_body, read_upload, route_path

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 256 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers on top of the image itself

# A platform endpoint's own work: given the authenticated caller and the parsed payload (the JSON object,
# or the uploaded file's bytes for a multipart endpoint), the answer.
Handler = Callable[[Request, Caller, Any], Awaitable[Response]]
View = Callable[[Request], Awaitable[Response]]


def api(endpoint: str, *, multipart: bool = False) -> Callable[[Handler], View]:
    """Wrap a platform endpoint: bounded body, authentication, fault injection, envelope on every error.
    `endpoint` is its name in fault specs (faults.ENDPOINTS)."""

    def decorate(handler: Handler) -> View:
        async def endpoint_view(request: Request) -> Response:
            sandbox = controller_of(request)
            config = sandbox.config
            try:
                content_type = request.headers.get('content-type', '')
                limit = config.max_upload_bytes + MULTIPART_OVERHEAD if multipart else JSON_BODY_LIMIT
                raw, over = await read_body(request, limit)
                fields: dict[str, Any] | None = None
                if over and not multipart:
                    raise bad_request('The request body is too large')
                if not content_type.lower().startswith('multipart/'):
                    try:
                        fields = request_body_fields(content_type, raw)
                    except (ValueError, UnicodeDecodeError):
                        raise bad_request('The request body must be a JSON object') from None
                caller = authenticate(
                    request.headers, keys=config.keys, method=request.method, path=route_path(request.scope),
                    query=parse_qsl(request.scope.get('query_string', b'').decode('latin-1'), keep_blank_values=True),
                    body=fields, replay=sandbox.replay, max_skew=config.max_clock_skew)
                fault = sandbox.faults.take(endpoint)
                if fault == 'lost':  # done, then the answer is lost on the way: below, after the handler ran
                    log.info('sandbox: %s will be done and its answer dropped', endpoint)
                elif fault is not None:
                    log.info('sandbox: injecting %s into %s', fault, endpoint)
                    return FaultResponse(fault, config.stall_seconds)
                if over:
                    raise bad_request(f'The file is too large: the limit is '
                                      f'{images.describe_bytes(config.max_upload_bytes)}')
                if multipart:
                    payload: Any = await read_upload(request, raw, content_type)
                else:
                    if fields is None or not content_type.lower().startswith('application/json'):
                        raise bad_request('This endpoint takes a JSON object (Content-Type: application/json)')
                    payload = fields
                response = await handler(request, caller, payload)
                if fault == 'lost':
                    return FaultResponse('drop', config.stall_seconds)
                return response
            except SandboxError as error:
                return error_response(error)
            except ClientDisconnect:
                # The client hung up before its body was read (a cancelled cover): nothing failed here.
                log.info('sandbox: %s: the client hung up before sending its request', endpoint)
                return Response(status_code=499)
            except Exception:
                log.exception('sandbox: %s failed', endpoint)
                return envelope_response(INTERNAL, 'Internal sandbox error; see the sandbox log')

        return endpoint_view

    return decorate
