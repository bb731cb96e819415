"""The sandbox's ASGI app: which path is served by which module, the app-wide error answers, and one
SandboxController per app (`app.state.sandbox`), which holds its state and closes its storage.

Where a route lives: /v1/config/options in routes/options.py, /v1/agent/ref-image and face-detect in
routes/uploads.py, /v1/agent/cover, create and list in routes/agents.py, /v1/chat/... in routes/chat.py,
/cdn/... in routes/cdn.py, /_sandbox/... in routes/control.py. What every /v1 request goes through first is in
endpoint.py.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .config import SandboxConfig
from .controller import SandboxController
from .protocol import INTERNAL, envelope_response
from .request_io import route_path
from .routes import agents, cdn, chat, control, options, uploads


async def index(request: Request) -> Response:
    return JSONResponse({'service': 'Agent Studio sandbox platform', 'endpoints': [
        '/v1/config/options', '/v1/agent/ref-image', '/v1/agent/face-detect', '/v1/agent/cover', '/v1/agent/create',
        '/v1/agent/list', '/v1/chat/conversation', '/v1/chat/stream', '/v1/chat/image'], 'docs': 'docs/sandbox.md'})


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods: the platform's envelope under /v1/, plain text elsewhere."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else 'Internal error'
    if route_path(request.scope).startswith('/v1/'):
        code = {404: 10404, 405: 10400}.get(status, INTERNAL)
        message = 'No such endpoint' if status == 404 else ('Use POST' if status == 405 else str(detail))
        return envelope_response(code, message, status=status)
    return PlainTextResponse(str(detail), status_code=status)


def create_sandbox_app(config: SandboxConfig) -> Starlette:
    """A fresh sandbox over `config.data_dir`; `app.state.sandbox` is its SandboxController, and whoever
    runs the app calls its `close()` when done (python -m sandbox and the mount both do)."""
    routes = [
        Route('/', index, methods=['GET']),
        Route('/v1/config/options', options.options_view, methods=['POST']),
        Route('/v1/agent/ref-image', uploads.ref_image_view, methods=['POST']),
        Route('/v1/agent/face-detect', uploads.face_detect_view, methods=['POST']),
        Route('/v1/agent/cover', agents.cover_view, methods=['POST']),
        Route('/v1/agent/create', agents.create_view, methods=['POST']),
        Route('/v1/agent/list', agents.list_view, methods=['POST']),
        Route('/v1/chat/conversation', chat.conversation_view, methods=['POST']),
        Route('/v1/chat/stream', chat.stream_view, methods=['POST']),
        Route('/v1/chat/image', chat.image_view, methods=['POST']),
        Route('/cdn/options/{category}/{code}.png', cdn.option_preview, methods=['GET', 'HEAD']),
        Route('/cdn/covers/{cover_id}.png', cdn.cover_image, methods=['GET', 'HEAD']),
        Route('/cdn/official/{agent_id}.png', cdn.official_cover, methods=['GET', 'HEAD']),
        Route('/_sandbox/faults', control.faults_control, methods=['GET', 'POST', 'DELETE']),
        Route('/_sandbox/latency', control.latency_control, methods=['GET', 'POST']),
        Route('/_sandbox/chat', control.chat_control, methods=['GET', 'POST']),
        Route('/_sandbox/keys', control.keys_control, methods=['GET', 'POST', 'DELETE']),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.sandbox = SandboxController(config)
    return app
