"""What a person sees of the waiting line and of their budget on the Cover step, and what an administrator sees
and sets on the admin page (NiceGUI's simulated user, the sandbox over real HTTP)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from services.studio import budgets
from services.studio.budgets import DAY
from services.studio.limits import Who
from tests.support.auth_support import add_account, sign_in
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    eventually,
    open_studio,
    see,
    studio_env,
    texts,
)


@pytest.fixture
def budget_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox, STUDIO_COVERS_PER_HOUR='2', STUDIO_COVERS_PER_DAY='10')


@pytest.fixture
def full_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox, STUDIO_MAX_COVERS_TOTAL='1')


@pytest.fixture
def admin_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    env = studio_env(monkeypatch, tmp_path, sandbox, STUDIO_COVERS_PER_HOUR='5')
    add_account(env.data_dir, 'root', admin=True)
    return env


async def to_cover_step(user: User) -> None:
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    await see(user, 'generate-cover')


async def test_the_budget_is_shown_before_generate_and_says_when_the_next_one_comes(budget_env: StudioEnv,
                                                                                    user: User) -> None:
    await to_cover_step(user)
    await see(user, 'budget-note', content='2 covers left (2 of 2 this hour, 10 of 10 in 24 hours).')
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    await see(user, 'budget-note', content='1 cover left (1 of 2 this hour, 9 of 10 in 24 hours).')
    click(user, 'generate-cover')
    await eventually(lambda: sum(j.status == 'done' for j in runtime.jobs.jobs_for('account-alice')) == 2,
                     what='the second cover')
    await see(user, 'budget-note', content='No covers left for now: the next one at')
    note = texts(user, 'budget-note')[0]
    assert '(in 60 minutes)' in note or '(in 59 minutes)' in note
    click(user, 'generate-cover')  # pressing anyway says the same, in words
    await see(user, 'cover-notice-text', content='You have used your 2 covers for the last hour')


async def test_a_full_studio_puts_the_cover_in_line_and_it_survives_leaving_the_page(full_env: StudioEnv,
                                                                                      user: User) -> None:
    held = await runtime.limits.acquire('account-bob', 'bobs-cover', who=Who('account-bob', 'bob'))  # the one place
    await to_cover_step(user)
    click(user, 'generate-cover')
    await see(user, 'line-place', content='Waiting in line: you are next')
    await see(user, 'line-estimate', content='Expected to start in about')
    # Leave and come back: the waiting cover is the server's, not the tab's.
    await user.open('/')
    await see(user, 'line-place', content='Waiting in line: you are next')
    click(user, 'line-cancel')
    await see(user, 'cover-notice-text', content='Generation cancelled.')
    await eventually(lambda: not any(j.running for j in runtime.jobs.jobs_for('account-alice')), what='cancelled')
    # In line again; when bob's cover is done, alice's starts by itself and arrives.
    click(user, 'generate-cover')
    await see(user, 'line-place')
    held.release()
    await see(user, 'cover-preview', seconds=30)
    job = runtime.jobs.jobs_for('account-alice', 'cover')[0]
    assert job.status == 'done' and job.started_at and job.started_at > job.created_at


async def test_the_admin_page_shows_use_per_person_and_sets_a_budget(admin_env: StudioEnv, user: User) -> None:
    await sign_in(user, 'root', path='/login?redirect_to=/admin')
    await user.should_see('Audit log', retries=50)
    now = time.time()
    for index, (owner, name, at) in enumerate([('account-alice', 'alice', now - 60), ('account-alice', 'alice', now),
                                               ('account-bob', 'bob', now - 3 * DAY)]):
        await runtime.db.run(budgets.count_use, f'job-{index}', owner, name, 'account', at)
    await user.open('/admin')
    await see(user, 'budgets', content='Cover budgets: 2 people generated covers in the last 7 days')
    await see(user, content='Default: 5 per hour, no daily limit; sandbox demo visitors: 10 per hour, 20 per day.')
    # alice, bob, and the accounts that made none (carol, root), each once.
    assert sorted(texts(user, 'budget-use')) == ['today 0 · last 7 days 0'] * 2 + ['today 0 · last 7 days 1',
                                                                                  'today 2 · last 7 days 2']
    # A budget for alice: a bad value is refused in words, a good one is saved (and audited).
    user.find(marker='budget-hour-alice').type('many')
    click(user, 'budget-save-alice')
    await eventually(lambda: user.notify.contains("'many' is not a number of covers. Leave a field empty for the "
                                                  'default, or 0 for no limit.'), what='the refusal in words')
    assert await runtime.budgets.overrides() == {}
    user.find(marker='budget-hour-alice').clear().type('1')
    click(user, 'budget-save-alice')
    await eventually(lambda: user.notify.contains('Saved the cover budget of alice.'), what='saved')
    saved = (await runtime.budgets.overrides())['account-alice']
    assert (saved.per_hour, saved.per_day, saved.updated_by) == (1, None, 'root')
    await see(user, 'budget-set-by', content='set by root')
    assert runtime.audit.entries(event='budget.changed')[0].detail == \
        'cover budget of alice: per hour 1, per day default'
    # Alice sees it at once: her hour is used up.
    status = await runtime.limits.budget(Who('account-alice', 'alice'))
    assert status.left == 0 and status.next_at == pytest.approx(now - 60 + 3600)
