"""The platform's answer envelope and the business errors the sandbox raises inside handlers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from starlette.responses import Response

OK, BAD_REQUEST, UNAUTHORIZED, NOT_FOUND, INTERNAL = 10200, 10400, 10401, 10404, 10500


class SandboxError(Exception):
    """A business error: HTTP 200 (401 for authentication) with success false and this code and message."""

    def __init__(self, code: int, message: str, *, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def bad_request(message: str) -> SandboxError:
    return SandboxError(BAD_REQUEST, message)


def not_found(message: str) -> SandboxError:
    return SandboxError(NOT_FOUND, message)


def unauthorized(message: str) -> SandboxError:
    return SandboxError(UNAUTHORIZED, message, status=401)


def now_ms() -> str:
    return str(int(time.time() * 1000))


def envelope(code: int, message: str, data: Any = None) -> dict[str, Any]:
    return {'code': code, 'success': code == OK, 'message': message, 'data': data,
            'traceId': uuid.uuid4().hex, 'timestamp': now_ms()}


def envelope_response(code: int, message: str, data: Any = None, *, status: int = 200) -> Response:
    body = json.dumps(envelope(code, message, data), ensure_ascii=False, separators=(',', ':'))
    return Response(body.encode(), status_code=status, media_type='application/json')


def ok(data: Any) -> Response:
    return envelope_response(OK, 'OK', data)


def error_response(error: SandboxError) -> Response:
    return envelope_response(error.code, error.message, None, status=error.status)
