"""The body limit (services/core/body_limit.py) in front of a small app on a real uvicorn server.

What the app behind it sees is recorded, so each test can say how much of a refused body reached it: nothing
when the length was declared, at most the limit when it was not.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.core.body_limit import BodyLimit, Limit
from services.studio.upload_rules import DEFAULT_BODY_LIMIT, MULTIPART_OVERHEAD, body_limits, too_large_message
from tests.support.raw_post import post_file
from tests.support.sandbox_server import run_asgi_server

LIMIT = 256 * 1024
seen: dict[str, int] = {}


async def count(request: Request) -> Response:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    seen['bytes'] = size
    return JSONResponse({'read': size})


async def swallow(request: Request) -> Response:
    """An app that turns every failure into its own answer (the sandbox's endpoints do this)."""
    try:
        return JSONResponse({'read': len(await request.body())})
    except Exception:
        return JSONResponse({'error': 'something went wrong'}, status_code=500)


def _app() -> Starlette:
    app = Starlette(routes=[Route('/count', count, methods=['POST']), Route('/swallow', swallow, methods=['POST'])])
    app.add_middleware(BodyLimit, limit_for=lambda path: Limit(LIMIT, lambda size: f'too large: {size}'))
    return app


@pytest.fixture(scope='module')
def base_url() -> Iterator[str]:
    with run_asgi_server(_app()) as url:
        yield url


@pytest.fixture(autouse=True)
def _forget() -> None:
    seen.clear()


def test_a_body_within_the_limit_is_untouched(base_url: str) -> None:
    response = httpx.post(base_url + '/count', content=b'x' * LIMIT)
    assert response.status_code == 200 and response.json() == {'read': LIMIT}


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs(base_url: str) -> None:
    answer = post_file(base_url, '/count', 50 * 1024 * 1024)
    assert answer.status == 413
    assert answer.json()['detail'].startswith('too large: ') and answer.json()['limit'] == LIMIT
    assert answer.headers['connection'] == 'close' and answer.headers['cache-control'] == 'no-store'
    assert 'bytes' not in seen  # the route never ran


def test_a_streamed_body_is_cut_off_at_the_limit(base_url: str) -> None:
    answer = post_file(base_url, '/count', 50 * 1024 * 1024, declare_length=False)
    assert answer.status == 413
    assert answer.json()['detail'] == 'too large: None'  # no length was declared, so none is claimed
    assert 'bytes' not in seen  # the route failed on the chunk that crossed the limit; it never got to answer


def test_an_app_that_catches_the_failure_cannot_answer_instead(base_url: str) -> None:
    answer = post_file(base_url, '/swallow', 5 * 1024 * 1024, declare_length=False)
    assert answer.status == 413


def test_a_client_that_reads_only_after_sending_still_gets_the_answer(base_url: str) -> None:
    # httpx sends the whole body first; the server reads and drops the rest for a moment before it closes, so
    # the connection is not reset under the client before it reads.
    response = httpx.post(base_url + '/count', content=b'x' * (8 * 1024 * 1024), timeout=30)
    assert response.status_code == 413
    response = httpx.post(base_url + '/count', content=iter([b'x' * 65536] * 64), timeout=30)  # chunked, 4 MB
    assert response.status_code == 413


def test_the_studio_limits_route_by_route() -> None:
    limit_for = body_limits(10 * 1024 * 1024, own_limits={'/sandbox/': 70 * 1024 * 1024})
    upload = limit_for('/_nicegui/client/0b6c7a1e-8f1f-4c43-9a57-0d9f4d8e2c11/upload/42')
    assert upload.bytes == 10 * 1024 * 1024 + MULTIPART_OVERHEAD
    assert upload.describe(400 * 1024 * 1024) == too_large_message(400 * 1024 * 1024, 10 * 1024 * 1024) == (
        'The file is 400.0 MB; the limit is 10.0 MB. Choose a smaller photo or export it at a lower resolution.')
    assert upload.describe(None).startswith('The file is larger than the limit of 10.0 MB.')
    assert limit_for('/sandbox/v1/agent/ref-image').bytes == 70 * 1024 * 1024
    for path in ('/login', '/_nicegui_ws/socket.io/', '/_nicegui/client/x/upload/1/extra', '/studio'):
        assert limit_for(path).bytes == DEFAULT_BODY_LIMIT, path
    assert 'at most 1.1 MB' in limit_for('/login').describe(5 * 1024 * 1024)
