"""The agents page against the sandbox: empty state, newest first, pagination, details, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from services.platform.client import PlatformClient
from services.platform.models import CoverRequest, CreateAgentRequest
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import StudioEnv, click, open_studio, see, select_value, studio_env

LOOK = CoverRequest(gender='male', age='26-35', ethnicity='latino', bodyType='muscular', hairColor='brown',
                    hairStyle='undercut')


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


async def seed_agents(sandbox: RunningSandbox, names: list[str]) -> list[str]:
    """Agents made with the same key directly on the platform, oldest first; returns their ids."""
    client = PlatformClient(base_url=sandbox.base_url, timeout=10, slow_timeout=30)
    ids = []
    try:
        for name in names:
            cover, _ = await client.generate_cover(sandbox.credentials, LOOK)
            created, _ = await client.create_agent(sandbox.credentials, CreateAgentRequest(
                **LOOK.model_dump(exclude_none=True), coverId=cover.coverId, name=name, voiceId='voice_m_calm',
                language='en'))
            ids.append(created.agentId)
    finally:
        await client.aclose()
    return ids


def card_names(user: User) -> list[str]:
    """Names in page order (user.find gives a set)."""
    with user:
        return [label.text for label in ElementFilter(kind=ui.label, marker='agent-name')]


async def test_empty_state_points_to_the_studio(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    await user.open('/agents')
    await see(user, 'agents-empty')
    await user.should_see('No agents yet')
    click(user, 'empty-to-studio')
    await see(user, content='Create a character')


async def test_agents_newest_first_with_details_and_pagination(env: StudioEnv, user: User) -> None:
    names = [f'Agent {n:02d}' for n in range(13)]
    ids = await seed_agents(env.sandbox, names)
    await open_studio(user)
    await user.open('/agents')
    await see(user, content='Agent 12')
    await user.should_see('13 agents')
    assert card_names(user) == [f'Agent {n:02d}' for n in range(12, 0, -1)]  # newest first, 12 per page
    await see(user, 'pagination')
    pagination = next(iter(user.find(marker='pagination').elements))
    with user:
        pagination.value = 2
    await see(user, content='Agent 00')
    assert card_names(user) == ['Agent 00']
    select_value(user, 'page-size', 24)
    await see(user, content='Agent 12')
    await user.should_not_see(marker='pagination')
    assert len(card_names(user)) == 13
    click(user, f'agent-{ids[5]}')
    await see(user, 'agent-details')
    await user.should_see(ids[5])
    await user.should_see('voice_m_calm')


async def test_new_agent_appears_after_refresh(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    await user.open('/agents')
    await see(user, 'agents-empty')
    await seed_agents(env.sandbox, ['Fresh'])
    click(user, 'refresh')
    await see(user, content='Fresh')
    await user.should_see('1 agent')


async def test_list_error_is_explained_and_retry_works(env: StudioEnv, user: User) -> None:
    await seed_agents(env.sandbox, ['Kept'])
    env.sandbox.controller.faults.set('list', '10500', times=1)
    await open_studio(user)
    await user.open('/agents')
    await see(user, 'error-box')
    await user.should_see('Your agents could not be loaded')
    await user.should_see(content='problem on its side')
    await see(user, 'trace-id')
    user.find('Try again').click()
    await see(user, content='Kept')
