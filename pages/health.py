"""/healthz and /readyz, for load balancers and orchestrators: no session needed, nothing personal in the answer.

- /healthz (liveness): the process is up and its event loop answers. It stays 200 while draining, so an
  orchestrator does not kill an instance that is letting its generations finish.
- /readyz (readiness): this instance should get new visitors. 503 while draining (SIGTERM) or when the database
  cannot be reached within READY_TIMEOUT seconds; the body says which. It also tells how the platform last answered
  this instance (`upstream`: outcome, endpoint, HTTP status, how long ago; null before the first request), without
  failing on it: every instance shares the one platform, so failing them all would only swap the studio's own
  words in the page ("the platform is not reachable right now") for a gateway error, and drafts, covers and the
  library stay usable meanwhile. An operator alerts on it, or on studio_platform_requests_total, instead.
"""

from __future__ import annotations

import asyncio
import time

from fastapi.responses import JSONResponse
from nicegui import app
from sqlalchemy import text
from sqlalchemy.engine import Connection

from runtime import runtime
from services.auth import access
from services.core.db import DatabaseUnavailable

READY_TIMEOUT = 2.0
HEADERS = {'Cache-Control': 'no-store'}


def setup() -> None:
    for path, endpoint in (('/healthz', healthz), ('/readyz', readyz)):
        access.allow_public_path(path)
        app.add_api_route(path, endpoint, methods=['GET'], include_in_schema=False)


async def healthz() -> JSONResponse:
    return JSONResponse({'status': 'ok', 'instance': runtime.settings.instance_id,
                         'draining': runtime.drain.draining}, headers=HEADERS)


def _ping(connection: Connection) -> None:
    connection.execute(text('SELECT 1'))


_probe: asyncio.Future[None] | None = None


async def _database_answers() -> bool:
    """One probe at a time, shared by concurrent checks: with the database down each probe holds a database thread
    until its connect timeout, and probes every second must not pile up behind one another."""
    global _probe
    if _probe is None or _probe.done():
        _probe = asyncio.ensure_future(runtime.db.read(_ping))
        # Retrieved even when every check gave up waiting, so its failure is not logged as never retrieved.
        _probe.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        await asyncio.wait_for(asyncio.shield(_probe), READY_TIMEOUT)
    except (DatabaseUnavailable, TimeoutError):
        return False
    return True


async def readyz() -> JSONResponse:
    problems = []
    if runtime.drain.draining:
        problems.append('draining: finishing running generations before it stops')
    if not await _database_answers():
        problems.append('database unreachable')
    last = runtime.requests.last_answer
    body = {'status': 'not ready' if problems else 'ready', 'instance': runtime.settings.instance_id,
            'problems': problems, 'upstream': last.summary(time.time()) if last is not None else None}
    return JSONResponse(body, status_code=503 if problems else 200, headers=HEADERS)
