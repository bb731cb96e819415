"""Request bodies over a route's limit are refused with HTTP 413 before they are read into memory.

A pure ASGI middleware, not Starlette's BaseHTTPMiddleware: that one hands the app a request whose body it
buffers, and cannot stop a body it has not seen yet. Here the body is never touched by the guard itself:

- a declared `Content-Length` over the limit is refused before the first byte of the body is received (the
  server does not even send `100 Continue`, so a well-behaved client never starts sending);
- a body without a length (chunked), or one longer than it said, is counted as the app receives it; the
  chunk that crosses the limit is not handed over. The app's `receive()` raises `BodyTooLarge` instead, the
  app's own answer (if it makes one) is dropped, and the 413 goes out in its place.

Either way the answer is JSON `{"detail": <a sentence for a person>, "limit": <bytes>}`, and then the connection
is closed. Closing a socket with unread data in it resets the connection, and a client still sending (a browser
mid-upload, any client that reads only once it has sent everything) then loses the answer it was sent. So, like
nginx's lingering close, the rest of the body is read and thrown away for a moment first (at most
LINGER_SECONDS and LINGER_BYTES; nothing of it is kept), which lets such a client finish and read the 413.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LINGER_SECONDS = 2.0
LINGER_BYTES = 64 * 1024 * 1024

Describe = Callable[[int | None], str]  # the body's size when it was declared, else None -> the message


@dataclass(frozen=True)
class Limit:
    bytes: int
    describe: Describe


LimitFor = Callable[[str], Limit]  # request path -> its limit


class BodyTooLarge(Exception):
    """Raised by `receive()` once a body has gone past its route's limit; the middleware answers 413."""


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope['path'])
        declared = _content_length(scope)
        if declared is not None and declared > limit.bytes:
            await _refuse(receive, send, limit, limit.describe(declared))
            return

        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                raise BodyTooLarge
            message = await receive()
            if message['type'] == 'http.request':
                received += len(message.get('body', b''))
                if received > limit.bytes:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the app says after its body was cut off is replaced by the 413
            if message['type'] == 'http.response.start':
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not over:
                raise
            # The app failed on the cut-off body in some other way (a parser error, a wrapped exception): the
            # cause is the size, and that is what the person is told.
        if over and not started:
            await _refuse(receive, send, limit, limit.describe(declared))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get('headers', ()):
        if name == b'content-length':
            text = value.decode('latin-1').strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(receive: Receive, send: Send, limit: Limit, detail: str) -> None:
    body = json.dumps({'detail': detail, 'limit': limit.bytes}).encode()
    await send({'type': 'http.response.start', 'status': 413, 'headers': [
        (b'content-type', b'application/json'), (b'content-length', str(len(body)).encode()),
        (b'cache-control', b'no-store'), (b'connection', b'close')]})
    # The whole answer goes out now (its Content-Length tells the client it is complete); the response is only
    # marked finished after lingering, because the server stops handing over the request body once it is.
    await send({'type': 'http.response.body', 'body': body, 'more_body': True})
    await _linger(receive)
    await send({'type': 'http.response.body', 'body': b'', 'more_body': False})


async def _linger(receive: Receive) -> None:
    """Read and drop what is left of the request body, for a bounded time and amount."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LINGER_SECONDS
    drained = 0
    while drained < LINGER_BYTES:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except (TimeoutError, BodyTooLarge):
            return
        if message['type'] != 'http.request':
            return  # the client hung up: it has stopped sending
        drained += len(message.get('body', b''))
        if not message.get('more_body', False):
            return
