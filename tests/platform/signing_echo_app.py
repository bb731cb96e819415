"""A small platform stand-in for client tests: it verifies every signature with the project's signing code
and answers as each test scripts it.

Unlike the sandbox (sandbox/), it has no catalogue or storage; it exists to drive the client down
every error path on demand: scripted replies per endpoint (success, 401, business errors, non-JSON, bare
envelopes, 5xx, stalls, dropped connections), a server clock that can be set apart from ours, and a record
of every hit (headers, body, whether the signature verified, the client's port) for assertions.

    with serve_echo() as echo:
        echo.script('/v1/agent/cover', Reply.raw(502, b'<html>bad gateway</html>', 'text/html'))
        ...
        assert echo.hits_for('/v1/agent/cover') == 1
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.platform.signing import request_body_fields, signature_base, verify_signature
from tests.support.sandbox_server import run_asgi_server

MAX_SKEW_SECONDS = 300  # the documented five minutes
AUTH_HEADERS = ('Authorization', 'X-Timestamp', 'X-Signature', 'X-Request-ID', 'X-User-ID')


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', (4, 4), (200, 40, 90)).save(buffer, 'PNG')
    return buffer.getvalue()


COVER_PNG = tiny_png()


@dataclass
class Reply:
    """One scripted answer. Build with the class methods; `kind` decides what the server does."""

    kind: str
    status: int = 200
    body: bytes = b''
    content_type: str = 'application/json'
    seconds: float = 0.0
    data: Any = None

    @classmethod
    def ok(cls, data: Any) -> Reply:
        """A success envelope with this data (instead of the endpoint's default)."""
        return cls('ok', data=data)

    @classmethod
    def raw(cls, status: int, body: bytes, content_type: str = 'application/json') -> Reply:
        return cls('raw', status=status, body=body, content_type=content_type)

    @classmethod
    def envelope(cls, status: int, **fields: Any) -> Reply:
        return cls('raw', status=status, body=json.dumps(fields).encode())

    @classmethod
    def business(cls, code: int, message: str, trace_id: str = 'b' * 32, status: int = 200) -> Reply:
        return cls.envelope(status, code=code, success=False, message=message, data=None, traceId=trace_id,
                            timestamp=str(int(time.time() * 1000)))

    @classmethod
    def unauthorized_far_clock(cls, offset_seconds: float) -> Reply:
        """A 401 whose envelope says the server's clock is `offset_seconds` away from ours."""
        return cls('unauthorized', status=401, seconds=offset_seconds)

    @classmethod
    def stall(cls, seconds: float) -> Reply:
        return cls('stall', seconds=seconds)

    @classmethod
    def drop(cls) -> Reply:
        """Start a response and close the connection before its body is complete."""
        return cls('drop')


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verdict: str  # 'ok' or why the signature check failed
    client_port: int | None
    signed_string: str | None = None
    upload: dict[str, Any] | None = None  # the multipart file field: filename, content_type, size


@dataclass
class EchoPlatform:
    """The scriptable state behind the app; shared between the test thread and the server thread."""

    keys: dict[str, str] = field(default_factory=dict)
    clock_offset: float = 0.0  # the server's clock minus the real one
    list_key: str = 'records'  # which name the agent list uses for its rows ('records', 'list', 'items')
    hits: list[Hit] = field(default_factory=list)
    url: str = ''
    _scripts: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next hits on `path` (the /v1/ path) with these replies, then fall back to success."""
        with self._lock:
            self._scripts[path].extend(replies)

    def next_reply(self, path: str) -> Reply | None:
        with self._lock:
            queue = self._scripts.get(path)
            return queue.popleft() if queue else None

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.hits.clear()
            self.clock_offset = 0.0
            self.list_key = 'records'

    def hits_for(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit.path.endswith(path))

    def now_ms(self) -> int:
        return int((time.time() + self.clock_offset) * 1000)

    # --- the app ------------------------------------------------------------------------------------------

    def envelope(self, status: int, *, success: bool, code: int, message: str, data: Any = None) -> JSONResponse:
        return JSONResponse({'code': code, 'success': success, 'message': message, 'data': data,
                             'traceId': uuid.uuid4().hex, 'timestamp': str(self.now_ms())}, status_code=status)

    async def verify(self, request: Request, body: bytes) -> tuple[str, str | None]:
        headers = request.headers
        missing = [name for name in AUTH_HEADERS if not headers.get(name)]
        if missing:
            return f'missing header {missing[0]}', None
        authorization = headers['Authorization']
        if not authorization.startswith('Bearer '):
            return 'Authorization is not a Bearer token', None
        secret = self.keys.get(authorization.removeprefix('Bearer '))
        if secret is None:
            return 'unknown API key', None
        try:
            timestamp = int(headers['X-Timestamp'])
        except ValueError:
            return 'X-Timestamp is not a number', None
        if abs(timestamp - self.now_ms() / 1000) > MAX_SKEW_SECONDS:
            return 'timestamp expired', None
        path = request.url.path
        path = path[path.index('/v1/'):] if '/v1/' in path else path
        fields = request_body_fields(headers.get('content-type', ''), body)
        query = request.query_params.multi_items()
        base = signature_base(request.method, path, headers['X-Timestamp'], headers['X-User-ID'], query, fields)
        ok = verify_signature(secret, headers['X-Signature'], method=request.method, path=path,
                              timestamp=headers['X-Timestamp'], user_id=headers['X-User-ID'], query=query,
                              body=fields)
        return ('ok' if ok else 'signature mismatch'), base

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        verdict, base = await self.verify(request, body)
        upload = None
        if request.headers.get('content-type', '').startswith('multipart/'):
            form = await request.form()
            file = form.get('file')
            if file is not None and not isinstance(file, str):
                content = await file.read()
                upload = {'filename': file.filename, 'content_type': file.content_type, 'size': len(content)}
        path = request.url.path
        v1_path = path[path.index('/v1/'):] if '/v1/' in path else path
        port = request.client.port if request.client else None
        with self._lock:
            self.hits.append(Hit(request.method, path, dict(request.headers), body, verdict, port, base, upload))
        reply = self.next_reply(v1_path)
        if reply is not None and reply.kind == 'unauthorized':
            return JSONResponse({'code': 10401, 'success': False, 'message': 'timestamp expired', 'data': None,
                                 'traceId': 'u' * 32, 'timestamp': str(int((time.time() + reply.seconds) * 1000))},
                                status_code=401)
        if verdict != 'ok':
            return self.envelope(401, success=False, code=10401, message=verdict)
        if reply is not None:
            if reply.kind == 'raw':
                return Response(reply.body, status_code=reply.status, media_type=reply.content_type)
            if reply.kind == 'stall':
                await asyncio.sleep(reply.seconds)
            if reply.kind == 'drop':
                return DroppedResponse()
            if reply.kind == 'ok':
                return self.envelope(200, success=True, code=10200, message='OK', data=reply.data)
        return self.envelope(200, success=True, code=10200, message='OK', data=self.default_data(v1_path, body))

    def default_data(self, path: str, body: bytes) -> Any:
        fields = json.loads(body) if body and body[:1] == b'{' else {}
        if path.endswith('/config/options'):
            female = fields.get('gender') != 'male'
            data = {
                'Age': [{'code': '18-25', 'label': '18-25', 'previewUrl': None}],
                'Ethnicity': [{'code': 'Asian', 'label': 'Asian'}],
                'BodyType': [{'code': 'Slim', 'label': 'Slim'}],
                'HairColor': [{'code': 'Black', 'label': 'Black'}],
                'HairStyle': [{'code': 'Long', 'label': 'Long'}],
                'Voice': [{'code': 'voice-1', 'label': 'Soft'}],
            }
            if female:
                data['BreastSize'] = [{'code': 'Medium', 'label': 'Medium'}]
                data['ButtSize'] = [{'code': 'Medium', 'label': 'Medium'}]
            return data
        if path.endswith('/agent/ref-image'):
            return {'refImageId': str(uuid.uuid4())}
        if path.endswith('/agent/face-detect'):
            return {'hasFace': True, 'faceCount': 1}
        if path.endswith('/agent/cover'):
            return {'coverId': str(uuid.uuid4()),
                    'imageData': 'data:image/png;base64,' + base64.b64encode(COVER_PNG).decode()}
        if path.endswith('/agent/create'):
            return {'agentId': str(uuid.uuid4()), 'name': fields.get('name', ''),
                    'coverUrl': 'https://cdn.example/cover.png'}
        if path.endswith('/agent/list'):
            rows = [{'agentId': f'agent-{i}', 'name': f'Agent {i}', 'coverUrl': None, 'gender': 'female',
                     'createdAt': '2026-01-01T00:00:00Z'} for i in range(2)]
            return {self.list_key: rows, 'total': 2, 'pageNumber': fields.get('pageNumber', 1),
                    'pageSize': fields.get('pageSize', 20)}
        return None

    def app(self) -> Starlette:
        return Starlette(routes=[Route('/{path:path}', self.handle, methods=['GET', 'POST'])])


class DroppedResponse(Response):
    """Promises a body, sends part of it, then fails: uvicorn closes the connection mid-response."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-type', b'application/json'), (b'content-length', b'1000')]})
        await send({'type': 'http.response.body', 'body': b'{"code": 10200, ', 'more_body': True})
        raise ConnectionAbortedError('dropped on purpose by the echo platform')


@contextmanager
def serve_echo(keys: dict[str, str] | None = None) -> Iterator[EchoPlatform]:
    """Run an EchoPlatform over real HTTP on a free 127.0.0.1 port."""
    platform = EchoPlatform(keys=dict(keys or {}))
    with run_asgi_server(platform.app()) as url:
        platform.url = url
        yield platform
