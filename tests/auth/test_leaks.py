"""Everything the server sends to browsers during full flows, and everything it logs or writes, holds neither the
API key nor its secret: tool-account sign-in with the operator's key, and a person's own key typed into the form."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nicegui import ElementFilter, core
from nicegui.storage import Storage
from nicegui.testing import User

from sandbox.config import SandboxConfig
from services.core.secret import Secret
from tests.support.auth_support import add_account, configure, files_containing, sign_in
from tests.support.studio_support import (
    FEMALE_LOOK,
    MALE_LOOK,
    choose_look,
    click,
    eventually,
    see,
    select_value,
    type_into,
)

# Distinctive values, so a hit can only be a leak.
LEAK_KEY = 'ak_live_7Qz9Lm2Xv8Rt4Np1'
LEAK_SECRET = 'sk_9f8e7d6c5b4a3210fedcba9876543210'
NEEDLES = [LEAK_KEY, LEAK_SECRET]


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:  # overrides conftest's: the sandbox knows only LEAK_KEY
    return SandboxConfig(data_dir=tmp_path / 'sandbox', keys={LEAK_KEY: Secret(LEAK_SECRET)}, latency=(0.0, 0.0),
                         allow_fault_control=True)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: Any) -> Path:
    data_dir = tmp_path / 'app'
    configure(monkeypatch, data_dir, PLATFORM_BASE_URL=sandbox.base_url, PLATFORM_API_KEY=LEAK_KEY,
              PLATFORM_API_SECRET=LEAK_SECRET, STUDIO_AUTH_MODES='accounts,byok', PLATFORM_SLOW_TIMEOUT='20')
    add_account(data_dir, 'alice', admin=True)
    return data_dir


class Wiretap:
    """What browsers received: every HTTP response (status line, headers incl. Set-Cookie, body) and every
    websocket message any client was sent, plus every URL the browser asked for."""

    def __init__(self) -> None:
        self.http: list[str] = []
        self.socket: list[str] = []

    def attach(self, user: User) -> User:
        async def on_request(request: httpx.Request) -> None:
            self.http.append(f'GET-URL {request.url}')

        async def on_response(response: httpx.Response) -> None:
            await response.aread()
            self.http.append(f'{response.status_code} {response.url}\n{dict(response.headers.multi_items())}\n'
                             + response.content.decode('utf-8', 'replace'))

        user.http_client.event_hooks = {'request': [on_request], 'response': [on_response]}
        return user

    def hits(self) -> list[str]:
        return [text[:300] for text in self.http + self.socket if any(n in text for n in NEEDLES)]


@pytest.fixture
def wiretap(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wiretap]:
    tap = Wiretap()
    original = core.sio.emit

    async def emit(event: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        tap.socket.append(f'{event} {kwargs.get("room")} {json.dumps(data, default=str)}')
        return await original(event, data, *args, **kwargs)

    monkeypatch.setattr(core.sio, 'emit', emit)
    yield tap


def browser_types(user: User, marker: str, text: str) -> None:
    """Type as a real browser does: the value arrives as an 'update:value' event over the websocket
    (the test harness's own `type` sets the value server-side, which a browser never does)."""
    assert user.client is not None
    (element,) = user.find(marker=marker).elements
    listener = next(lst for lst in element._event_listeners.values() if lst.type == f'update:{element.VALUE_PROP}')
    user.client.handle_event({'id': element.id, 'listener_id': listener.id, 'args': [json.dumps(text)]})


def enabled(user: User, marker: str) -> bool:
    with user:
        return any(getattr(e, 'enabled', False) for e in ElementFilter(marker=marker, local_scope=False))


async def studio_flow(user: User, gender: str, look: dict[str, str], name: str) -> None:
    await user.should_see('Create a character', retries=100)
    await choose_look(user, gender, look)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview', seconds=30)
    await see(user, 'cover-validity', content='Valid for')
    click(user, 'next-details')
    type_into(user, 'name', name)
    select_value(user, 'voice', 'voice_f_warm' if gender == 'female' else 'voice_m_deep')
    click(user, 'next-create')
    await eventually(lambda: enabled(user, 'create-agent'), what='the create button to be enabled')
    click(user, 'create-agent')
    await see(user, 'create-success', seconds=30)
    click(user, 'to-agents')
    await see(user, content=name, seconds=10)


async def test_no_key_or_secret_reaches_a_browser_a_log_or_the_disk(
        user: User, create_user: Callable[[], User], wiretap: Wiretap, caplog: pytest.LogCaptureFixture,
        env: Path) -> None:
    caplog.set_level(logging.DEBUG)
    # 1. A tool account on the operator's key: sign in, cover, agent, agent list, audit log, CSV, sign out.
    alice = wiretap.attach(user)
    await sign_in(alice, 'alice')
    await studio_flow(alice, 'female', FEMALE_LOOK, 'Mia')
    await alice.open('/admin')
    await alice.should_see('Audit log')
    click(alice, 'audit-export')
    await alice.download.next(timeout=5)
    await alice.open('/logout')
    click(alice, 'logout-confirm')
    await alice.should_see(marker='login-reason', retries=50)

    # 2. A person with their own key: a wrong secret first, then the right one; cover, agent, sign out.
    byok = wiretap.attach(create_user())
    await byok.open('/login')
    browser_types(byok, 'byok-key', LEAK_KEY)
    browser_types(byok, 'byok-secret', 'not-the-secret-at-all')
    browser_types(byok, 'byok-user', 'own-key-person')
    click(byok, 'byok-submit')
    await byok.should_see('The platform rejected these credentials', retries=100)
    browser_types(byok, 'byok-key', LEAK_KEY)
    browser_types(byok, 'byok-secret', LEAK_SECRET)
    click(byok, 'byok-submit')
    await studio_flow(byok, 'male', MALE_LOOK, 'Max')
    await byok.open('/logout')
    click(byok, 'logout-confirm')
    await byok.should_see(marker='login-reason', retries=50)

    assert len(wiretap.http) > 20 and len(wiretap.socket) > 20  # the tap really saw the traffic
    assert any('Mia' in text for text in wiretap.socket)
    assert wiretap.hits() == []
    cookies = [f'{c.name}={c.value}' for u in (alice, byok) for c in u.http_client.cookies.jar]
    assert cookies and not [c for c in cookies if any(n in c for n in NEEDLES)]
    logged = [r.getMessage() + (r.exc_text or '') for r in caplog.records]
    assert logged and not [m for m in logged if any(n in m for n in NEEDLES)]
    assert not any(n in caplog.text for n in NEEDLES)
    assert files_containing(NEEDLES, env, Storage.path) == []
