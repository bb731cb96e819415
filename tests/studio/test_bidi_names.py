"""A character name with a right-to-left override is refused, and names from elsewhere are shown isolated
(issue 12, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from components.bidi import ISOLATE_CLASS, isolated, visible_controls
from runtime import runtime
from services.core.text import BIDI_CONTROLS, BIDI_REFUSED, bidi_controls_in, bidi_problem
from services.platform.client import Credentials, PlatformClient
from services.platform.models import CoverRequest, CreateAgentRequest
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    eventually,
    open_studio,
    see,
    select_value,
    studio_env,
    type_into,
)

WIRE_LOOK = dict(age='26-35', ethnicity='east_asian', bodyType='curvy', breastSize='medium', buttSize='large',
                 hairColor='blonde', hairStyle='long_wavy')


def test_exactly_the_embedding_override_and_isolate_controls_are_refused() -> None:
    assert sorted(f'U+{ord(c):04X}' for c in BIDI_CONTROLS) == [
        'U+202A', 'U+202B', 'U+202C', 'U+202D', 'U+202E', 'U+2066', 'U+2067', 'U+2068', 'U+2069']
    assert bidi_controls_in('Mia\u202e \u2066x\u202e') == ['U+202E', 'U+2066']
    # Right-to-left letters and the plain direction marks (LRM, RLM) are ordinary text.
    for name in ('محمد', 'דוד', 'Mia\u200f', '\u200eLea'):
        assert bidi_problem(name) is None


def test_isolation_helpers() -> None:
    assert isolated('Mia') == 'Mia'  # nothing right-to-left: nothing to isolate, no invisible characters added
    assert isolated('Mia\u202e') == '\u2068Mia\u2069'  # the override is dropped, the rest isolated
    assert isolated('a\u2069\u202eb') == '\u2068ab\u2069'  # a stray PDI cannot close the isolate early
    assert isolated('محمد') == '\u2068محمد\u2069'
    assert visible_controls('Mia\u202egnp') == 'Mia<U+202E>gnp'


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


async def test_a_name_with_an_override_cannot_be_created(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    click(user, 'next-details')
    type_into(user, 'name', 'Mia\u202egnp.exe')
    select_value(user, 'voice', 'voice_f_warm')
    await see(user, content=BIDI_REFUSED)  # the field says so at once
    click(user, 'next-create')
    await see(user, 'create-problem', content='text-direction control characters (here: U+202E')
    assert not any(e.enabled for e in user.find(marker='create-agent').elements)
    assert runtime.jobs.jobs_for('account-alice', 'create') == []
    # Without the override the same name goes through.
    click(user, 'create-back')
    type_into(user, 'name', 'Mia')
    await user.should_not_see(content=BIDI_REFUSED, retries=50)


async def test_audit_entries_show_controls_instead_of_obeying_them(env: StudioEnv, user: User) -> None:
    runtime.audit.record('agent.created', actor='alice', detail='agent x "Mia\u202e" made elsewhere')
    runtime.accounts.set_admin('alice', True)
    await open_studio(user, 'alice')
    await user.open('/admin')
    await see(user, content='Audit log')

    def details() -> list[str]:
        return [str(row['detail']) for table in user.find(ui.table).elements for row in table.rows]
    await eventually(lambda: 'agent x "Mia<U+202E>" made elsewhere' in details(), what='the audit row')
    assert not any('\u202e' in detail for detail in details())


async def test_an_agent_named_elsewhere_is_shown_isolated(env: StudioEnv, user: User,
                                                         sandbox_client: PlatformClient) -> None:
    # Made with the same key by another client, which did not refuse the override.
    creds = Credentials(env.sandbox.credentials.api_key, env.sandbox.credentials.api_secret, 'alice')
    cover, _ = await sandbox_client.generate_cover(creds, CoverRequest(gender='female', **WIRE_LOOK))
    await sandbox_client.create_agent(creds, CreateAgentRequest(gender='female', **WIRE_LOOK, coverId=cover.coverId,
                                                                name='Mia\u202egnp', voiceId='voice_f_warm'))
    await open_studio(user)
    await user.open('/agents')
    await see(user, 'agent-name')
    (label,) = user.find(marker='agent-name').elements
    assert ISOLATE_CLASS in label.classes
