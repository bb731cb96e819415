"""A minimal ASGI upstream that answers every request at once with a tiny success envelope.

Used by the signing-overhead figure: the upstream must cost as little as possible so that the client's
own work (building, signing and sending requests) is what the figure measures. It reads the body (as a
real server would) and does not check signatures.
"""

from __future__ import annotations

from typing import Any

BODY = (b'{"code":10200,"success":true,"message":"OK","data":{},'
        b'"traceId":"00000000000000000000000000000000","timestamp":"1773298769366"}')
HEADERS = [(b'content-type', b'application/json'), (b'content-length', str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope['type'] == 'lifespan':
        while True:
            message = await receive()
            if message['type'] == 'lifespan.startup':
                await send({'type': 'lifespan.startup.complete'})
            elif message['type'] == 'lifespan.shutdown':
                await send({'type': 'lifespan.shutdown.complete'})
                return
    more = True
    while more:
        message = await receive()
        more = message.get('more_body', False)
    await send({'type': 'http.response.start', 'status': 200, 'headers': HEADERS})
    await send({'type': 'http.response.body', 'body': BODY})
