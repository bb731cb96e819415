"""/healthz and /readyz for a load balancer (issue 16, item 4): no session needed, nothing personal, and /readyz
tells the database's state and how the platform (a real sandbox over HTTP) last answered this instance.

tests/browser/test_drain.py has the same endpoints on a started process through SIGTERM."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from services.core.db import DatabaseUnavailable
from services.platform.errors import PlatformError
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import StudioEnv, studio_env


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox, PLATFORM_TIMEOUT='2', PLATFORM_CONNECT_TIMEOUT='1')


async def test_ready_says_how_the_platform_last_answered(env: StudioEnv, user: User) -> None:
    anonymous = await user.http_client.get('/readyz')  # no session: a balancer has none
    assert anonymous.status_code == 200 and anonymous.headers['cache-control'] == 'no-store'
    assert anonymous.json()['status'] == 'ready' and anonymous.json()['problems'] == []

    operator = runtime.operator_credentials
    assert operator is not None
    await runtime.platform.options(operator)
    upstream = (await user.http_client.get('/readyz')).json()['upstream']
    assert upstream['outcome'] == 'ok' and upstream['httpStatus'] == 200
    assert upstream['endpoint'] == '/v1/config/options' and 0 <= upstream['secondsAgo'] < 30

    # The platform fails: the answer says so, and the instance stays ready (every instance shares the platform,
    # and the pages say it in their own words).
    env.sandbox.controller.faults.load_spec('options=http502')
    with pytest.raises(PlatformError):
        await runtime.platform.options(operator)
    ready = await user.http_client.get('/readyz')
    assert ready.status_code == 200
    assert ready.json()['upstream']['httpStatus'] == 502 and ready.json()['upstream']['outcome'] != 'ok'
    assert operator.api_key not in ready.text and operator.api_secret.get() not in ready.text


async def test_ready_fails_while_draining_or_without_the_database(env: StudioEnv, user: User,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    live = await user.http_client.get('/healthz')
    assert live.status_code == 200 and live.json()['status'] == 'ok' and live.json()['draining'] is False

    async def unavailable(*_: object, **__: object) -> None:
        raise DatabaseUnavailable('unreachable', database='sqlite:///studio', detail='gone for the test')

    monkeypatch.setattr(runtime.db, 'read', unavailable)
    down = await user.http_client.get('/readyz')
    assert down.status_code == 503 and down.json()['problems'] == ['database unreachable']
    monkeypatch.undo()

    monkeypatch.setattr(runtime.drain, 'draining', True, raising=False)
    draining = await user.http_client.get('/readyz')
    assert draining.status_code == 503 and draining.json()['problems'][0].startswith('draining')
    assert (await user.http_client.get('/healthz')).json()['draining'] is True  # alive: not to be killed
