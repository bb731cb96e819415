"""A demo visit through the pages, on a real sandbox over HTTP (issue 12, item 2).

A visitor makes everything a visitor can (a reference photo, a cover, an agent, a conversation), signs out, and
nothing of it is left: not in the studio's database, not on the sandbox, and their sandbox key no longer works.
Another visitor's work, made alongside, is untouched. The sign-in page says so, with the configured lifetime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from nicegui.testing import User
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from runtime import runtime
from services.auth.demo_data import OWNED
from services.auth.sessions import TOUCH_EVERY, Session
from services.core.db import schema
from services.platform.errors import AuthenticationError
from tests.conftest import TEST_KEY, TEST_SECRET
from tests.support.auth_support import configure
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    MALE_LOOK,
    choose_look,
    click,
    create_enabled,
    eventually,
    see,
    select_value,
    type_into,
    upload,
)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> None:
    # A standalone sandbox (as several instances share one): visitor keys are issued and revoked over its HTTP.
    configure(monkeypatch, tmp_path / 'app', STUDIO_DEMO_SANDBOX_URL=sandbox.base_url,
              STUDIO_DEMO_SANDBOX_KEY=TEST_KEY, STUDIO_DEMO_SANDBOX_SECRET=TEST_SECRET, STUDIO_AUTH_MODES='demo',
              STUDIO_DEMO_IDLE_MINUTES='90', PLATFORM_SLOW_TIMEOUT='20', PLATFORM_TIMEOUT='10')


def sessions_now() -> set[str]:
    return {s.sid for s in runtime.sessions.all()}


async def enter_demo(user: User) -> Session:
    before = sessions_now()
    await user.open('/login')
    click(user, 'demo-enter')
    await eventually(lambda: bool(sessions_now() - before), what='the demo session')
    await user.should_see('Create a character', retries=100)
    (sid,) = sessions_now() - before
    session = runtime.sessions.peek(sid)
    assert session is not None
    return session


def stored_rows(owner_id: str) -> dict[str, int]:
    def count(connection: Connection) -> dict[str, int]:
        return {table.name: connection.execute(select(func.count()).select_from(table)
                                               .where(table.c.owner_id == owner_id)).scalar_one() for table in OWNED}

    return runtime.db.read_sync(count)


def on_sandbox(sandbox: RunningSandbox, api_key: str) -> dict[str, object]:
    controller = sandbox.controller
    return {'accepted': api_key in controller.config.keys, 'issued': controller.issued.get(api_key) is not None,
            'stored': api_key in controller.store.keys_with_data(), 'chats': api_key in controller.chat.store
            .keys_with_data()}


async def test_signing_out_deletes_everything_a_demo_visitor_made(user: User, create_user: Callable[[], User],
                                                                  sandbox: RunningSandbox) -> None:
    visit = await enter_demo(user)
    principal = visit.principal
    await choose_look(user, 'male', MALE_LOOK)
    click(user, 'next-photo')
    await upload(user, 'astronaut.png')
    await see(user, 'face-found')
    click(user, 'next-cover')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    click(user, 'next-details')
    type_into(user, 'name', 'Leo')
    select_value(user, 'voice', 'voice_m_deep')
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')
    created = runtime.jobs.jobs_for(principal.owner_id, 'create')[0]
    assert created.agent_id
    await runtime.chat.open(principal, created.agent_id)  # a conversation, on the sandbox and in the studio
    await eventually(lambda: stored_rows(principal.owner_id)['agent_records'] == 1, what='the agent recorded')
    made = stored_rows(principal.owner_id)
    assert all(made[name] for name in ('drafts', 'jobs', 'images', 'conversations', 'agent_records', 'request_log'))
    assert on_sandbox(sandbox, principal.credentials.api_key) == {'accepted': True, 'issued': True, 'stored': True,
                                                                  'chats': True}

    other = create_user()  # another visitor, at the same time
    neighbour = (await enter_demo(other)).principal
    await choose_look(other, 'male', MALE_LOOK)
    await eventually(lambda: stored_rows(neighbour.owner_id)['drafts'] == 1, what='the other draft saved')

    user.find(marker='user-menu-button').click()
    click(user, 'sign-out')  # for a demo visit the menu asks first, on the sign-out page
    await user.should_see(marker='logout-demo-warning')
    await user.should_see('signing out deletes everything you made here')
    assert stored_rows(principal.owner_id)['drafts'] == 1  # nothing deleted before the visitor confirms
    await user.open('/logout')  # (a fresh page: the simulation routes a navigation from a menu unreliably)
    click(user, 'logout-confirm')
    await user.should_see(marker='login-reason', retries=100)
    await eventually(lambda: set(stored_rows(principal.owner_id).values()) == {0}, seconds=15,
                     what='the visit deleted from the database')
    assert on_sandbox(sandbox, principal.credentials.api_key) == {'accepted': False, 'issued': False,
                                                                  'stored': False, 'chats': False}
    with pytest.raises(AuthenticationError):
        await runtime.platform.list_agents(principal.credentials)  # the key itself is gone
    assert stored_rows(neighbour.owner_id)['drafts'] == 1  # nobody else's work goes with it
    assert on_sandbox(sandbox, neighbour.credentials.api_key)['accepted']


async def test_a_visit_left_idle_is_deleted_by_the_sweep(user: User, sandbox: RunningSandbox) -> None:
    visit = await enter_demo(user)
    principal = visit.principal
    await choose_look(user, 'male', MALE_LOOK)
    await eventually(lambda: stored_rows(principal.owner_id)['drafts'] == 1, what='the draft saved')
    # The visitor left 91 minutes ago (lifetime 90), by this instance's memory and by the table; their key was
    # issued as long ago.
    left = time.time() - 91 * 60 - TOUCH_EVERY
    visit.last_seen = visit.stored_seen = left
    assert runtime.writer.flush(5)
    runtime.db.run_sync(lambda c: c.execute(update(schema.sessions).where(schema.sessions.c.sid_hash == visit.key)
                                            .values(last_seen=left)))
    issued = sandbox.controller.issued
    issued._keys[principal.credentials.api_key] = replace(issued._keys[principal.credentials.api_key],
                                                          created_at=left)

    await runtime.sessions.purge()  # what the purge round does every 10 minutes, on any instance
    await runtime.demo_data.sweep()
    assert set(stored_rows(principal.owner_id).values()) == {0}
    assert on_sandbox(sandbox, principal.credentials.api_key)['accepted'] is False
    await user.open('/studio')  # the idle tab's next request: the session has ended
    await user.should_see('Your session ended', retries=50)


async def test_the_sign_in_page_says_what_is_deleted_and_when(user: User) -> None:
    await user.open('/login')
    await user.should_see(marker='demo-terms')
    await user.should_see('is deleted when you sign out, or within a quarter of an hour once you have been inactive '
                          'for 90 minutes')
    await user.should_see('a sandbox key of your own: only you see the characters you make')
