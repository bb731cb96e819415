"""Reading a request as the platform would: the signed path, a bounded body, the multipart `file` field,
and a sleep that notices when the client hangs up."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from .protocol import bad_request

DRAIN_LIMIT = 64 * 1024 * 1024  # read (and drop) an oversized upload up to here so the client sees the answer


def route_path(scope: Scope) -> str:
    """The /v1/... path as signed: the request path without the mount prefix (ASGI root_path)."""
    path: str = scope['path']
    root: str = scope.get('root_path', '')
    return path[len(root):] if root and path.startswith(root) else path


async def read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, and whether it was over `limit`. An oversized body is still drained (up to a hard cap),
    so the client gets the error answer instead of a broken pipe while still sending."""
    declared = request.headers.get('content-length', '')
    if declared.isdigit() and int(declared) > DRAIN_LIMIT:
        return b'', True
    chunks: list[bytes] = []
    size, over = 0, False
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


async def read_upload(request: Request, raw: bytes, content_type: str) -> bytes:
    """The bytes of the multipart field `file` of an already read body `raw`."""
    if not content_type.lower().startswith('multipart/form-data'):
        raise bad_request("This endpoint takes multipart/form-data with the image in the field 'file'")
    # Parsing ten megabytes of multipart is ~60 ms of CPU: done on a worker thread, not the event loop.
    return await asyncio.to_thread(_read_file_field, list(request.scope['headers']), raw)


def _read_file_field(headers: list[tuple[bytes, bytes]], raw: bytes) -> bytes:
    """The bytes of the multipart field `file` (Starlette's parser, run on this thread's own loop)."""

    async def replay() -> Message:
        return {'type': 'http.request', 'body': raw, 'more_body': False}

    async def parse() -> bytes:
        scope: dict[str, Any] = {'type': 'http', 'method': 'POST', 'headers': headers, 'path': '/',
                                 'query_string': b''}
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
