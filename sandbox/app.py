"""The sandbox's ASGI app: the platform's endpoints, CDN-like image URLs, and the fault-control endpoint.

Request life: read the body (bounded) -> authenticate against the exact bytes -> injected fault, if any
-> the endpoint. CPU work (decoding, face detection, drawing) and SQLite go to threads; latency is an
asyncio sleep that ends early when the client hangs up.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from services.core.settings import SettingsError, parse_latency
from services.platform.signing import request_body_fields

from . import catalogue, cover_art, images, profiles, validation
from .auth import Caller, ReplayGuard, authenticate
from .config import SandboxConfig
from .faults import Faults, FaultSpecError
from .protocol import (
    INTERNAL,
    SandboxError,
    bad_request,
    envelope_response,
    error_response,
    not_found,
    ok,
    unauthorized,
)
from .store import CoverUnavailable, SandboxStore, new_id

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 256 * 1024
MULTIPART_OVERHEAD = 64 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # read (and drop) an oversized upload up to here so the client sees the answer
PURGE_EVERY = 300.0
COVER_EXPIRED = 'coverId is expired or invalid, please regenerate cover'

Handler = Callable[[Request, Caller, Any], Awaitable[Response]]


class SandboxController:
    """Everything one sandbox instance holds: config (mutable at runtime), faults, storage, caches."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = Faults()
        if config.faults:
            self.faults.load_spec(config.faults)
        self.store = SandboxStore(config.data_dir)
        self.store.purge_expired_covers()  # leftovers from before a restart
        self.replay = ReplayGuard(config.replay_window)
        self._previews: dict[tuple[str, str, str | None], bytes] = {}
        self._next_purge = 0.0
        self.official_dir = config.data_dir / 'official'
        self.official_dir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self.store.close()

    def public_base(self, request: Request) -> str:
        if self.config.public_url is not None:
            return self.config.public_url.rstrip('/')
        return str(request.base_url).rstrip('/')

    def latency(self, share: float = 1.0) -> float:
        low, high = self.config.latency
        return random.uniform(low, high) * share

    async def preview(self, category: str, code: str, gender: str | None) -> bytes:
        key = (category, code, gender)
        if key not in self._previews:
            self._previews[key] = await asyncio.to_thread(cover_art.draw_preview, category, code, gender)
        return self._previews[key]

    async def purge_if_due(self) -> None:
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY
            await asyncio.to_thread(self.store.purge_expired_covers)


# --- request plumbing --------------------------------------------------------------------------------------


def route_path(scope: Scope) -> str:
    """The /v1/... path as signed: the request path without the mount prefix (ASGI root_path)."""
    path, root = scope['path'], scope.get('root_path', '')
    return path[len(root):] if root and path.startswith(root) else path


async def read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, and whether it was over `limit`. An oversized body is still drained (up to a hard cap),
    so the client gets the error answer instead of a broken pipe while still sending."""
    declared = request.headers.get('content-length', '')
    if declared.isdigit() and int(declared) > DRAIN_LIMIT:
        return b'', True
    chunks, size, over = [], 0, False
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            over = True
            if size > DRAIN_LIMIT:
                break
            continue
        chunks.append(chunk)
    return b''.join(chunks), over


async def sleep_unless_gone(receive: Receive, seconds: float) -> bool:
    """Sleep without blocking anyone; True if the client hung up first (then the work is abandoned)."""
    if seconds <= 0:
        return False

    async def hung_up() -> None:
        while (await receive())['type'] != 'http.disconnect':
            pass

    waiter = asyncio.ensure_future(hung_up())
    try:
        done, _ = await asyncio.wait({waiter}, timeout=seconds)
        return bool(done)
    finally:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await waiter


def _server_transport(receive: Any, depth: int = 0) -> Any:
    """uvicorn's socket transport behind `receive`, following the receive callables that middleware wrap
    around it (bound methods and closures named *receive*); None when it cannot be found."""
    if receive is None or depth > 32:  # each BaseHTTPMiddleware adds two links; NiceGUI apps stack several
        return None
    owner = getattr(receive, '__self__', None)
    transport = getattr(owner, 'transport', None)
    if transport is not None and hasattr(transport, 'abort'):
        return transport
    inner: list[Any] = [value for key, value in vars(owner).items() if 'receive' in key and callable(value)] \
        if owner is not None and hasattr(owner, '__dict__') else []
    for cell in getattr(receive, '__closure__', None) or ():
        with contextlib.suppress(ValueError):
            value = cell.cell_contents
            if callable(value) and 'receive' in getattr(value, '__name__', ''):
                inner.append(value)
    for candidate in inner:
        found = _server_transport(candidate, depth + 1)
        if found is not None:
            return found
    return None


async def drop_connection(scope: Scope, receive: Receive, send: Send) -> None:
    """Close the socket without a complete answer. Under uvicorn the transport is aborted directly.

    Behind other middleware (NiceGUI's) the transport is out of reach: then the answer promises a length,
    is cut off mid-body and the request fails, so the server can only close the connection. It logs the
    exception, which is the price of reaching the client as a real drop."""
    transport = _server_transport(receive)
    if transport is not None:
        transport.abort()
        for _ in range(3):  # let the server notice the loss, so the answer below is written nowhere
            await asyncio.sleep(0)
        # Still answer through the middleware chain: BaseHTTPMiddleware would log "No response returned".
        await Response(status_code=499)(scope, receive, send)
        return
    # `content-encoding` makes GZip pass the promised length through untouched, so whatever completes the
    # answer later (BaseHTTPMiddleware does) falls short of it and the server must close the connection.
    await send({'type': 'http.response.start', 'status': 200,
                'headers': [(b'content-type', b'application/json'), (b'content-length', b'4096'),
                            (b'content-encoding', b'identity')]})
    await send({'type': 'http.response.body', 'body': b'{"code":', 'more_body': True})
    raise ConnectionAbortedError('sandbox fault injection: connection dropped on purpose')


class FaultResponse(Response):
    """An injected failure. `drop` and `stall` act at the ASGI level, below any normal response."""

    def __init__(self, kind: str, stall_seconds: float) -> None:
        super().__init__()
        self.kind = kind
        self.stall_seconds = stall_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.kind == 'drop':
            await drop_connection(scope, receive, send)
            return
        if self.kind == 'stall':
            await sleep_unless_gone(receive, self.stall_seconds)
            # Answered even when the client has gone (written nowhere then): middleware expects an answer.
            await envelope_response(INTERNAL, 'Stalled request finally timed out (sandbox fault injection)')(
                scope, receive, send)
            return
        response: Response
        if self.kind == '10500':
            response = envelope_response(INTERNAL, 'Internal error: the backend failed (sandbox fault injection)')
        elif self.kind == '401':
            response = error_response(unauthorized('Authentication refused (sandbox fault injection)'))
        elif self.kind == 'http500':
            response = PlainTextResponse('Internal Server Error', status_code=500)
        elif self.kind == 'http502':
            response = Response('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad '
                                'Gateway</h1></center><hr><center>nginx</center></body></html>', 502,
                                media_type='text/html')
        else:  # garbage
            response = Response('<!DOCTYPE html><html><body>Service temporarily unavailable; please try again '
                                'later</body></html>', 200, media_type='text/html')
        await response(scope, receive, send)


def api(endpoint: str, *, multipart: bool = False) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a platform endpoint: bounded body, authentication, fault injection, envelope on every error."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint_view(request: Request) -> Response:
            sandbox: SandboxController = request.app.state.sandbox
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
                if fault is not None:
                    log.info('sandbox: injecting %s into %s', fault, endpoint)
                    return FaultResponse(fault, config.stall_seconds)
                if over:
                    raise bad_request(f'The file is too large: the limit is '
                                      f'{images.describe_bytes(config.max_upload_bytes)}')
                if multipart:
                    payload: Any = await _upload(request, raw, content_type)
                else:
                    if fields is None or not content_type.lower().startswith('application/json'):
                        raise bad_request('This endpoint takes a JSON object (Content-Type: application/json)')
                    payload = fields
                return await handler(request, caller, payload)
            except SandboxError as error:
                return error_response(error)
            except Exception:
                log.exception('sandbox: %s failed', endpoint)
                return envelope_response(INTERNAL, 'Internal sandbox error; see the sandbox log')

        return endpoint_view

    return decorate


async def _upload(request: Request, raw: bytes, content_type: str) -> bytes:
    if not content_type.lower().startswith('multipart/form-data'):
        raise bad_request("This endpoint takes multipart/form-data with the image in the field 'file'")
    # Parsing ten megabytes of multipart is ~60 ms of CPU: done on a worker thread, not the event loop.
    return await asyncio.to_thread(_read_file_field, list(request.scope['headers']), raw)


def _read_file_field(headers: list[tuple[bytes, bytes]], raw: bytes) -> bytes:
    """The bytes of the multipart field `file` (Starlette's parser, run on this thread's own loop)."""

    async def replay() -> dict[str, Any]:
        return {'type': 'http.request', 'body': raw, 'more_body': False}

    async def parse() -> bytes:
        scope = {'type': 'http', 'method': 'POST', 'headers': headers, 'path': '/', 'query_string': b''}
        try:
            form = await Request(scope, replay).form(max_files=4, max_fields=16)
        except Exception:
            raise bad_request('The multipart body could not be read') from None
        try:
            upload = form.get('file')
            if not isinstance(upload, UploadFile):
                raise bad_request("The image must be sent in the multipart field 'file'")
            return await upload.read()
        finally:
            await form.close()

    return asyncio.run(parse())


# --- endpoints ---------------------------------------------------------------------------------------------


@api('options')
async def options_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    namespace = body.get('namespace')
    if namespace != catalogue.NAMESPACE:
        raise bad_request(f"Unknown namespace {namespace!r}: the only namespace is '{catalogue.NAMESPACE}'"
                          if namespace else f"namespace is required (use '{catalogue.NAMESPACE}')")
    gender = body.get('gender') or None
    if gender is not None and gender not in catalogue.GENDERS:
        raise bad_request("gender must be 'male' or 'female', or left out for both")
    language = catalogue.normalise_language(body.get('language'))
    base = request.app.state.sandbox.public_base(request)
    # Shared codes (a 'slim' build, 'curly' hair) are pictured on the asked gender's figure.
    suffix = f'?gender={gender}' if gender else ''
    data = {category: [{'code': c.code, 'label': label,
                        'previewUrl': f'{base}/cdn/options/{category}/{c.code}.png{suffix}'} for c, label in items]
            for category, items in catalogue.options_for(gender, language).items()}
    return ok(data)


@api('ref_image', multipart=True)
async def ref_image_view(request: Request, caller: Caller, content: bytes) -> Response:
    sandbox: SandboxController = request.app.state.sandbox

    def check_and_store() -> str:
        checked = images.open_checked(content, max_bytes=sandbox.config.max_upload_bytes,
                                      max_pixels=sandbox.config.max_pixels)
        faces = images.face_detector().detect(checked.image)
        face_png = cover_art.face_thumbnail(checked.image, faces[0]) if faces else None  # for covers later
        return sandbox.store.add_ref_image(caller.api_key, content, checked.extension, faces, face_png)

    return ok({'refImageId': await asyncio.to_thread(check_and_store)})


@api('face_detect', multipart=True)
async def face_detect_view(request: Request, caller: Caller, content: bytes) -> Response:
    config: SandboxConfig = request.app.state.sandbox.config

    def detect() -> int:
        checked = images.open_checked(content, max_bytes=config.max_upload_bytes, max_pixels=config.max_pixels)
        return len(images.face_detector().detect(checked.image))

    count = await asyncio.to_thread(detect)
    return ok({'hasFace': count > 0, 'faceCount': count})


@api('cover')
async def cover_view(request: Request, caller: Caller, body: dict[str, Any]) -> Response:
    sandbox: SandboxController = request.app.state.sandbox
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
    sandbox: SandboxController = request.app.state.sandbox
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
    sandbox: SandboxController = request.app.state.sandbox
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


# --- CDN-like image URLs (unauthenticated, like the platform's CDN) ----------------------------------------

CACHE_FOREVER = {'Cache-Control': 'public, max-age=86400, immutable'}


async def option_preview(request: Request) -> Response:
    category, code = request.path_params['category'], request.path_params['code']
    if catalogue.find(category, code) is None:
        return PlainTextResponse('Not found', status_code=404)
    gender = request.query_params.get('gender')
    png = await request.app.state.sandbox.preview(category, code, gender if gender in catalogue.GENDERS else None)
    return Response(png, media_type='image/png', headers=CACHE_FOREVER)


async def cover_image(request: Request) -> Response:
    path = await asyncio.to_thread(request.app.state.sandbox.store.cover_file, request.path_params['cover_id'])
    if path is None:
        return PlainTextResponse('Not found', status_code=404)
    return FileResponse(path, media_type='image/png', headers=CACHE_FOREVER)


async def official_cover(request: Request) -> Response:
    sandbox: SandboxController = request.app.state.sandbox
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


# --- fault control (loopback only) -------------------------------------------------------------------------


def _loopback_only(request: Request) -> None:
    sandbox: SandboxController = request.app.state.sandbox
    if not sandbox.config.allow_fault_control:
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
    faults: Faults = request.app.state.sandbox.faults
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
    config: SandboxConfig = request.app.state.sandbox.config
    if request.method == 'POST':
        try:
            spec = json.loads(await request.body() or b'{}')
            config.latency = parse_latency(str(spec.get('latency', '')), var='latency')
        except (ValueError, SettingsError, AttributeError) as error:
            return JSONResponse({'error': str(error)}, status_code=400)
    return JSONResponse({'latency': list(config.latency)})


async def index(request: Request) -> Response:
    return JSONResponse({'service': 'Agent Studio sandbox platform', 'endpoints': [
        '/v1/config/options', '/v1/agent/ref-image', '/v1/agent/face-detect', '/v1/agent/cover', '/v1/agent/create',
        '/v1/agent/list'], 'docs': 'docs/sandbox.md'})


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else 'Internal error'
    if route_path(request.scope).startswith('/v1/'):
        code = {404: 10404, 405: 10400}.get(status, INTERNAL)
        message = 'No such endpoint' if status == 404 else ('Use POST' if status == 405 else str(detail))
        return envelope_response(code, message, status=status)
    return PlainTextResponse(str(detail), status_code=status)


def create_sandbox_app(config: SandboxConfig) -> Starlette:
    """A fresh sandbox over `config.data_dir`; `app.state.sandbox` is its SandboxController."""
    routes = [
        Route('/', index, methods=['GET']),
        Route('/v1/config/options', options_view, methods=['POST']),
        Route('/v1/agent/ref-image', ref_image_view, methods=['POST']),
        Route('/v1/agent/face-detect', face_detect_view, methods=['POST']),
        Route('/v1/agent/cover', cover_view, methods=['POST']),
        Route('/v1/agent/create', create_view, methods=['POST']),
        Route('/v1/agent/list', list_view, methods=['POST']),
        Route('/cdn/options/{category}/{code}.png', option_preview, methods=['GET', 'HEAD']),
        Route('/cdn/covers/{cover_id}.png', cover_image, methods=['GET', 'HEAD']),
        Route('/cdn/official/{agent_id}.png', official_cover, methods=['GET', 'HEAD']),
        Route('/_sandbox/faults', faults_control, methods=['GET', 'POST', 'DELETE']),
        Route('/_sandbox/latency', latency_control, methods=['GET', 'POST']),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.sandbox = SandboxController(config)
    return app
