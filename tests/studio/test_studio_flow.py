"""The studio walked end to end by a simulated person, against the sandbox over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    create_enabled,
    open_studio,
    see,
    select_value,
    studio_env,
    type_into,
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


@pytest.fixture
async def studio(env: StudioEnv, user: User) -> User:
    await open_studio(user)
    return user


def owner() -> str:
    return 'account-alice'


async def test_female_path_without_photo_creates_an_agent(studio: User) -> None:
    user = studio
    await choose_look(user, 'female', FEMALE_LOOK)
    draft = runtime.drafts.get(owner())
    assert draft.look == FEMALE_LOOK
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    cover = runtime.jobs.jobs_for(owner(), 'cover')[0]
    assert cover.status == 'done' and cover.usable()
    await see(user, 'cover-validity', content='Valid for')
    click(user, 'next-details')
    type_into(user, 'name', 'Mia')
    select_value(user, 'voice', 'voice_f_warm')
    select_value(user, 'language', 'ja')
    select_value(user, 'personality', 'playful')
    await see(user, content='Playful')
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')
    await user.should_see('Mia is ready')
    created = runtime.jobs.jobs_for(owner(), 'create')[0]
    assert created.agent_id and created.request['breastSize'] == 'medium'
    await user.should_see(created.agent_id)
    assert runtime.drafts.get(owner()).look == {}  # cleared for the next character
    assert cover.used_for == 'Mia' and not cover.usable()  # a cover becomes one agent only
    click(user, 'to-agents')
    await see(user, f'agent-{created.agent_id}')  # listed at once, no stale cache
    await see(user, 'agent-name', content='Mia')
