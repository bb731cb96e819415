"""The library on the agents page: 'Made by me' by default, everyone one click away, search, details, variant."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from services.auth.sessions import Principal
from services.core.secret import Secret
from services.platform.client import Credentials
from tests.studio.test_agents_page import card_names, seed_agents
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import StudioEnv, click, eventually, open_studio, see, select_value, studio_env


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


async def test_made_by_me_first_then_everyone_search_and_variant(env: StudioEnv, user: User) -> None:
    from runtime import runtime  # configured by the user fixture's start of main.py

    ids = await seed_agents(env.sandbox, ['Mine', 'Elsewhere', 'Other'])
    alice = Principal('account-alice', 'alice', 'alice', 'account', Credentials('k', Secret('s'), 'alice'))
    await runtime.library.records.record(ids[0], alice)
    await open_studio(user)
    await user.open('/agents')
    await see(user, content='Mine')
    assert card_names(user) == ['Mine']  # the default view for someone who has made agents
    await user.should_see('By alice')
    select_value(user, 'filter-maker', 'everyone')
    await see(user, content='Elsewhere')
    assert sorted(card_names(user)) == ['Elsewhere', 'Mine', 'Other']
    select_value(user, 'filter-maker', 'unknown')
    await user.should_not_see('Mine', retries=50)
    assert sorted(card_names(user)) == ['Elsewhere', 'Other']
    select_value(user, 'sort', 'name')
    await eventually(lambda: card_names(user) == ['Elsewhere', 'Other'], what='sorted by name')
    user.find(marker='search').type('oth')
    await eventually(lambda: card_names(user) == ['Other'], what='the search')
    user.find(marker='search').clear()
    await eventually(lambda: len(card_names(user)) == 2, what='the search cleared')

    click(user, f'agent-{ids[1]}')
    await see(user, 'agent-details')
    await user.should_see('Made by: unknown (not in Agent Studio)')
    click(user, 'make-variant')
    await see(user, content='Create a character', seconds=20)
    draft = runtime.drafts.get('account-alice')
    assert draft.gender == 'male' and draft.look['BodyType'] == 'muscular' and draft.voice == 'voice_m_calm'
    assert draft.name == 'Elsewhere' and draft.derived_from == ids[1]  # kept in the draft, so in the database
