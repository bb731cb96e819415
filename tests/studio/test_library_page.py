"""The library on the agents page: 'Made by me' by default, everyone one click away, search, details, variant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from services.auth.sessions import Principal
from services.core.secret import Secret
from services.platform.client import Credentials
from tests.studio.test_agents_page import card_names, seed_agents
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import StudioEnv, click, eventually, open_studio, see, select_value, studio_env

CARDS = Path(__file__).parents[1] / 'fixtures' / 'cards'


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


async def hand_card(user: User, name: str, data: bytes) -> None:
    """Give the agents page's 'Import a card' a file, as the browser does once a person picked one."""
    element = next(iter(user.find(kind=ui.upload).elements))  # the button's own (hidden) uploader
    with user:
        await element.handle_uploads([ui.upload.SmallFileUpload(name=name, content_type='application/octet-stream',
                                                                _data=data)])


async def test_importing_a_card_asks_before_replacing_a_draft_and_refuses_a_bad_one(env: StudioEnv,
                                                                                     user: User) -> None:
    from runtime import runtime

    await open_studio(user)
    runtime.drafts.update('account-alice', gender='female', name='Work in progress', derived_from='agent-x')
    await user.open('/agents')
    await see(user, content='Import a card')
    # Only the button shows, never the uploader's queue and its '0.0B / 0.00%'.
    assert 'hidden' in next(iter(user.find(kind=ui.upload).elements)).classes

    await hand_card(user, 'broken.json', b'{"spec": "chara_card_v2", "data": ')
    await user.should_see('neither a card PNG nor card JSON')
    assert runtime.drafts.get('account-alice').name == 'Work in progress'  # a bad card changes nothing

    card = (CARDS / 'aiko-v2.png').read_bytes()
    await hand_card(user, 'aiko-v2.png', card)
    await see(user, 'replace-draft')
    await user.should_see('Replace Work in progress?')
    user.find('Keep it').click()
    await user.should_not_see('Replace Work in progress?')
    assert runtime.drafts.get('account-alice').name == 'Work in progress'  # kept, as chosen

    await hand_card(user, 'aiko-v2.png', card)
    await see(user, 'replace-draft')
    click(user, 'replace-draft-confirm')
    await see(user, 'import-notes')  # what the card had that the studio has no place for, before leaving
    await user.should_see('character_book')
    click(user, 'import-notes-continue')
    await see(user, content='Create a character', seconds=20)
    draft = runtime.drafts.get('account-alice')
    assert draft.name == 'Aiko' and draft.gender == 'female' and draft.derived_from is None
    assert draft.look.get('BodyType') == 'slim' and draft.look.get('HairStyle') == 'bob'


def set_date(user: User, marker: str, value: str) -> None:
    """What the browser's date field sends once a day is picked (YYYY-MM-DD)."""
    element = next(iter(user.find(marker=marker).elements))
    assert isinstance(element, ui.input)
    with user:
        element.value = value


async def test_a_custom_period_filters_by_creation_date(env: StudioEnv, user: User) -> None:
    await seed_agents(env.sandbox, ['Today'])  # made now, on the platform
    await open_studio(user)
    await user.open('/agents')
    await see(user, content='Today')
    select_value(user, 'filter-period', 'custom')
    await see(user, 'period-from')
    today = datetime.now(UTC).date()
    set_date(user, 'period-from', (today - timedelta(days=3)).isoformat())
    set_date(user, 'period-to', (today - timedelta(days=1)).isoformat())
    await see(user, 'agents-empty')  # nothing was made in those three days
    set_date(user, 'period-to', today.isoformat())
    await eventually(lambda: card_names(user) == ['Today'], what='today inside the period')
    set_date(user, 'period-from', (today + timedelta(days=2)).isoformat())  # after the To date
    await user.should_see('The period ends before it starts')
    assert card_names(user) == ['Today']  # a period that is not one filters nothing away
