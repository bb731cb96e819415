"""Cover budgets per person, per hour and per day: counted in the database (so a restart forgets nothing), per
person (one person's use never spends another's), only covers count, an administrator's budget for one person
wins over the default, and demo visitors have their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.auth.sessions import Principal
from services.core.budget_settings import Budget, BudgetSettings, load_budget_settings
from services.core.config_values import SettingsError
from services.platform.client import PlatformClient
from services.studio.budgets import HOUR, Budgets
from services.studio.limits import BudgetUsedUp, Who, clock_time
from tests.studio.test_jobs import LOOK, jobs_on, principal
from tests.support.databases import data_dir_kit
from tests.support.sandbox_server import RunningSandbox

TWO_AN_HOUR = BudgetSettings(people=Budget(per_hour=2, per_day=3), demo=Budget(per_hour=1, per_day=1))


def who(person: Principal) -> Who:
    return Who(person.owner_id, person.user_id, person.mode)


async def test_a_budget_holds_across_a_restart_and_is_each_persons_own(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    kit = data_dir_kit(tmp_path)
    jobs = jobs_on(kit, sandbox_client, budgets=TWO_AN_HOUR)
    alice, bob = principal(sandbox, 'alice'), principal(sandbox, 'bob')
    first = await (await jobs.start_cover(alice, LOOK)).wait()
    await (await jobs.start_cover(alice, LOOK)).wait()
    status = await jobs._limits.budget(who(alice))
    assert (status.used_hour, status.left_hour, status.left_day, status.left) == (2, 0, 1, 0)
    assert status.next_at == pytest.approx(first.created_at + HOUR, abs=1)
    with pytest.raises(BudgetUsedUp) as refused:
        await jobs.start_cover(alice, LOOK)
    message = refused.value.user_message
    assert 'You have used your 2 covers for the last hour' in message
    assert f'The next one is possible at {clock_time(refused.value.next_at)}, in 60 minutes' in message
    # bob's budget is his own.
    assert (await (await jobs.start_cover(bob, LOOK)).wait()).status == 'done'
    assert (await jobs._limits.budget(who(bob))).left == 1

    await jobs.aclose()
    assert kit.writer.flush(10)
    restarted = jobs_on(kit, sandbox_client, budgets=TWO_AN_HOUR)  # the same instance, after a restart
    with pytest.raises(BudgetUsedUp):
        await restarted.start_cover(alice, LOOK)
    assert (await restarted._limits.budget(who(alice))).used_hour == 2
    assert (await restarted._limits.budget(who(bob))).used_hour == 1


async def test_only_covers_count_and_an_administrators_budget_wins(
        tmp_path: Path, sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    kit = data_dir_kit(tmp_path)
    jobs = jobs_on(kit, sandbox_client, budgets=TWO_AN_HOUR)
    alice = principal(sandbox, 'alice')
    sandbox.controller.faults.set('cover', '10500', times=2)
    for _ in range(2):
        assert (await (await jobs.start_cover(alice, LOOK)).wait()).status == 'failed'
    assert kit.writer.flush(5)
    assert (await jobs._limits.budget(who(alice))).used_hour == 0  # failures are refunded
    for _ in range(2):
        assert (await (await jobs.start_cover(alice, LOOK)).wait()).status == 'done'
    budgets = Budgets(kit.db, TWO_AN_HOUR)
    await budgets.set_override(alice.owner_id, per_hour=10, per_day=None, by='admin')  # the day stays the default
    assert (await (await jobs.start_cover(alice, LOOK)).wait()).status == 'done'
    with pytest.raises(BudgetUsedUp, match='your 3 covers for the last 24 hours'):
        await jobs.start_cover(alice, LOOK)
    await budgets.set_override(alice.owner_id, per_hour=0, per_day=0, by='admin')  # 0: no limit
    assert (await (await jobs.start_cover(alice, LOOK)).wait()).status == 'done'
    await budgets.set_override(alice.owner_id, None, None, by='admin')  # back to the default
    assert (await budgets.overrides()) == {}
    uses = await budgets.usage(0.0, 0.0)
    assert [(use.owner_id, use.today, use.week) for use in uses] == [('account-alice', 4, 4)]


async def test_demo_visitors_have_their_own_smaller_budget(tmp_path: Path, sandbox: RunningSandbox,
                                                           sandbox_client: PlatformClient) -> None:
    jobs = jobs_on(data_dir_kit(tmp_path), sandbox_client, budgets=TWO_AN_HOUR)
    visitor = Principal(owner_id='demo-abc', user_id='demo-abc', display_name='Guest', mode='demo',
                        credentials=sandbox.credentials)
    assert (await (await jobs.start_cover(visitor, LOOK)).wait()).status == 'done'
    with pytest.raises(BudgetUsedUp, match=r'your 1 cover for the last 24 hours.*in 24 h 00 min'):  # both full
        await jobs.start_cover(visitor, LOOK)
    assert (await (await jobs.start_cover(principal(sandbox), LOOK)).wait()).status == 'done'


def test_the_budget_settings() -> None:
    defaults = load_budget_settings({})
    assert defaults.people == Budget(0, 0) and not defaults.people.limited  # no limit unless the operator sets one
    assert defaults.demo == Budget(10, 20)
    chosen = load_budget_settings({'STUDIO_COVERS_PER_HOUR': '5', 'STUDIO_COVERS_PER_DAY': '20',
                                   'STUDIO_DEMO_COVERS_PER_HOUR': '2', 'STUDIO_DEMO_COVERS_PER_DAY': '3'})
    assert (chosen.people, chosen.demo) == (Budget(5, 20), Budget(2, 3))
    with pytest.raises(SettingsError, match='STUDIO_COVERS_PER_DAY must be a whole number of covers'):
        load_budget_settings({'STUDIO_COVERS_PER_DAY': 'many'})
