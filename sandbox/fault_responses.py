"""How each injected fault kind is answered (which endpoint fails, and how often, is kept in faults.py).

`drop` and `stall` act at the ASGI level, below any normal response: a real dropped connection and a real
silence, so the client's transport errors and timeouts are exercised, not an imitation of them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from .protocol import BAD_REQUEST, INTERNAL, envelope_response, error_response, unauthorized
from .request_io import sleep_unless_gone


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


# The platform's own words (docs/platform-api.md), answered as HTTP 200 business errors.
DOCUMENTED = {'busy': (BAD_REQUEST, 'Too many requests, please try again later'),
              'quota': (BAD_REQUEST, 'API key usage limit reached'),
              'badkey': (BAD_REQUEST, 'Invalid API key'),
              'imageconfig': (INTERNAL, 'Agent missing image generation config')}


async def cut_off(scope: Scope, receive: Receive, send: Send) -> None:
    """A streamed reply that begins and then breaks off: two pieces, then the connection is dropped."""
    await send({'type': 'http.response.start', 'status': 200,
                'headers': [(b'content-type', b'text/event-stream'), (b'cache-control', b'no-cache')]})
    for piece in ('Sorry, I ', 'was about to '):
        await send({'type': 'http.response.body', 'body': f'data: {{"text": "{piece}"}}\n\n'.encode(),
                    'more_body': True})
        await asyncio.sleep(0.05)
    transport = _server_transport(receive)
    if transport is not None:
        transport.abort()
        for _ in range(3):  # the answer has begun: nothing more is sent, the server just notices the loss
            await asyncio.sleep(0)
        return
    raise ConnectionAbortedError('sandbox fault injection: stream cut off on purpose')


class FaultResponse(Response):
    """An injected failure of kind `kind` (one of faults.KINDS)."""

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
        if self.kind == 'cut':
            await cut_off(scope, receive, send)
            return
        response: Response
        if self.kind in DOCUMENTED:
            code, message = DOCUMENTED[self.kind]
            response = envelope_response(code, message)
        elif self.kind == '10500':
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
